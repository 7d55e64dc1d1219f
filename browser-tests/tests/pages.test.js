// Every page of the web shell, as a person meets it in a real browser.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  By, assertAccessible, clickAndLoad, screenshot, signInAs, signOut, startBrowser, startDemo, text, until, visit,
} from './harness.js';

let demo;
let browser;

before(async () => {
  demo = await startDemo();
  browser = await startBrowser();
});

after(async () => {
  await browser?.quit();
  await demo?.stop();
});

describe('signed out', () => {
  it('sends a visitor to sign in, where the demo accounts are listed', async () => {
    const { driver } = browser;
    await driver.get(`${demo.baseUrl}/people`);
    await driver.wait(until.urlContains('/sign-in'), 10_000);
    await visit(driver, `${demo.baseUrl}/sign-in`, '01-sign-in');
    assert.equal(await driver.getTitle(), 'Sign in – Harbour');
    const page = await text(driver, 'main');
    assert.match(page, /Sam Okafor/);
    assert.match(page, /Police intelligence officer/);
  });

  it('has a skip link that reaches the main content', async () => {
    const { driver } = browser;
    const skip = await driver.findElement(By.css('.skip-link'));
    assert.equal(await skip.getAttribute('href'), `${demo.baseUrl}/sign-in#main-content`);
    assert.ok(await driver.findElement(By.id('main-content')));
  });

  it('shows the health page and a designed 404 page', async () => {
    const { driver } = browser;
    await visit(driver, `${demo.baseUrl}/health`, '02-health');
    assert.match(await text(driver, 'main'), /Harbour is working/);
    await visit(driver, `${demo.baseUrl}/no-such-page`, '03-not-found');
    assert.match(await text(driver, 'h1'), /Page not found/);
  });
});

describe('a school designated safeguarding lead', () => {
  it('signs in and sees their name and agency in the header', async () => {
    const { driver } = browser;
    await signInAs(driver, demo.baseUrl, 'dsl@northgate.example');
    await visit(driver, `${demo.baseUrl}/`, '04-home-dsl');
    assert.equal(await text(driver, '.header__user-name'), 'Sam Okafor');
    assert.equal(await text(driver, '.header__user-agency'), 'Northgate Academy');
  });

  it('gets an error summary that names the field for a search too short to run', async () => {
    const { driver } = browser;
    await visit(driver, `${demo.baseUrl}/people?q=j`, '05-search-error');
    assert.match(await driver.getTitle(), /^Error: /);
    const summary = await text(driver, '.error-summary');
    assert.match(summary, /There is a problem/);
    assert.match(summary, /Enter at least 2 characters/);
    await driver.findElement(By.css('.error-summary a')).click();
    assert.equal(await driver.switchTo().activeElement().getAttribute('id'), 'q');
  });

  it('finds a child and opens the single view, with each row naming its agency', async () => {
    const { driver } = browser;
    await driver.get(`${demo.baseUrl}/people`);
    await driver.findElement(By.id('q')).sendKeys('Mercer');
    await clickAndLoad(driver, By.css('form[role="search"] button'));
    await assertAccessible(driver, 'search results');
    await screenshot(driver, '06-search-results');
    assert.match(await text(driver, 'table'), /Jayden Mercer/);

    await clickAndLoad(driver, By.linkText('Jayden Mercer'));
    await assertAccessible(driver, 'person page');
    await screenshot(driver, '07-person-dsl');
    const timeline = await text(driver, 'table.timeline');
    assert.match(timeline, /Permanent exclusion/);
    assert.match(timeline, /Harbourshire Police/);
    assert.match(timeline, /Northgate Academy/);
    assert.doesNotMatch(timeline, /county line/, 'police intelligence must not reach a school');
    assert.doesNotMatch(timeline, /stab wound/, 'health detail must not reach a school');
    // The education journey, gathered from the same timeline, with absence said in words.
    const journey = await text(driver, 'main');
    assert.match(journey, /Education journey/);
    assert.match(journey, /Attendance by term/);
    assert.match(journey, /Persistent absence/);
    await driver.findElement(By.css('svg.chart'));
  });

  it('can see the rows the school sent that were refused on import', async () => {
    const { driver } = browser;
    await visit(driver, `${demo.baseUrl}/quarantine`, '06b-quarantine');
    assert.match(await text(driver, 'h1'), /Refused feed rows/);
  });

  it('signs out', async () => {
    await signOut(browser.driver);
  });
});

describe('a police intelligence officer', () => {
  it('sees the intelligence on the same child that the school could not', async () => {
    const { driver } = browser;
    await signInAs(driver, demo.baseUrl, 'intel@police.example');
    await driver.get(`${demo.baseUrl}/people?q=mercer`);
    await clickAndLoad(driver, By.linkText('Jayden Mercer'));
    await assertAccessible(driver, 'person page (police)');
    await screenshot(driver, '08-person-police');
    assert.match(await text(driver, 'table.timeline'), /county line/);
    await signOut(driver);
  });
});

describe('an LA inclusion officer reviewing identity', () => {
  it("sees the review queue and the split controls on a child's page", async () => {
    const { driver } = browser;
    await signInAs(driver, demo.baseUrl, 'inclusion@la.example');
    await visit(driver, `${demo.baseUrl}/identity-review`, '10-identity-review');
    assert.match(await text(driver, 'h1'), /Same child\?/);
    await driver.get(`${demo.baseUrl}/people?q=mercer`);
    await clickAndLoad(driver, By.linkText('Jayden Mercer'));
    await assertAccessible(driver, 'person page (identity reviewer)');
    await screenshot(driver, '11-person-identity-reviewer');
    const identity = await text(driver, '.summary-list');
    assert.match(identity, /Recorded by/);
    assert.ok(await driver.findElement(By.id('split-form')));
    await signOut(driver);
  });
});

describe('a social worker with alerts', () => {
  it('sees the queue, opens an alert with its evidence, acknowledges it and replays the timeline', async () => {
    const { driver } = browser;
    await signInAs(driver, demo.baseUrl, 'social.worker@la.example');
    await visit(driver, `${demo.baseUrl}/`, '12-home-queue');
    assert.match(await text(driver, '#queue'), /Aged 17½ with an open exploitation concern/);
    await clickAndLoad(driver, By.partialLinkText('Aged 17½'));
    await assertAccessible(driver, 'alert page');
    await screenshot(driver, '13-alert');
    assert.match(await text(driver, 'main'), /Referred to the MACE panel/);
    await driver.findElement(By.id('action-ack')).click();
    await clickAndLoad(driver, By.css('form[action^="/alerts/"] button[type="submit"]'));
    assert.match(await text(driver, '#alert-status'), /acknowledged/);
    assert.match(await text(driver, '.notification-banner'), /Alert acknowledged/);
    await assertAccessible(driver, 'alert page after saving');
    // Dismissing without saying why shows the form again, with the error on the note.
    const alertUrl = (await driver.getCurrentUrl()).split('?')[0];
    await driver.findElement(By.id('action-dismiss')).click();
    await clickAndLoad(driver, By.css('form[action^="/alerts/"] button[type="submit"]'));
    assert.match(await text(driver, '.error-summary'), /Say why this is not a concern/);
    assert.match(await text(driver, '.header__user-name'), /\S/);
    await assertAccessible(driver, 'alert form with an error');
    await screenshot(driver, '13-alert-dismiss-error');
    await driver.get(`${demo.baseUrl}/alerts/closed`);
    await assertAccessible(driver, 'closed alerts');
    await screenshot(driver, '13-closed-alerts');
    await driver.get(alertUrl);
    await clickAndLoad(driver, By.linkText('Replay the timeline with every alert'));
    await assertAccessible(driver, 'replay page');
    await screenshot(driver, '14-replay');
    assert.match(await text(driver, 'h1'), /When would we have known\?/);
    assert.match(await text(driver, 'main'), /Several critical moments within a year/);
    await signOut(driver);
  });
});

describe('an LA inclusion officer with a work queue', () => {
  it('sees the register tasks due in school days, and takes one on', async () => {
    const { driver } = browser;
    await signInAs(driver, demo.baseUrl, 'inclusion@la.example');
    await driver.get(`${demo.baseUrl}/`);
    await clickAndLoad(driver, By.linkText('My work'));
    assert.match(await text(driver, 'h1'), /My work/);
    await assertAccessible(driver, 'my work');
    await screenshot(driver, '15-my-work');
    const tasks = await text(driver, '#work-tasks');
    assert.match(tasks, /Arrange full-time education from day 6/);
    assert.match(tasks, /school days? overdue/);
    assert.match(tasks, /Nobody yet/);
    await clickAndLoad(driver, By.css('form[action="/work/assign"] button[type="submit"]'));
    assert.match(await text(driver, '.notification-banner'), /Task assigned/);
    assert.match(await text(driver, '#work-tasks'), /Priya Shah/);
    await driver.findElement(By.css('#work-show option[value="mine"]')).click();
    await clickAndLoad(driver, By.css('#work-filter button[type="submit"]'));
    assert.match(await text(driver, '#work-tasks'), /Priya Shah/);
    await assertAccessible(driver, 'my work, given to me');
    await screenshot(driver, '15-my-work-mine');
    await signOut(driver);
  });

  it('shows the MACE chair the register tasks escalated to them, without the child', async () => {
    const { driver } = browser;
    await signInAs(driver, demo.baseUrl, 'mace.chair@la.example');
    await visit(driver, `${demo.baseUrl}/work`, '16-my-work-escalated');
    const tasks = await text(driver, '#work-tasks');
    assert.match(tasks, /Escalated/);
    assert.match(tasks, /Not shown to your role/);
    await signOut(driver);
  });
});

describe('on a phone-sized screen', () => {
  it('lays the person page out without losing content', async () => {
    const phone = await startBrowser({ width: 390, height: 844 });
    try {
      const { driver } = phone;
      await signInAs(driver, demo.baseUrl, 'social.worker@la.example');
      await driver.get(`${demo.baseUrl}/people?q=mercer`);
      await clickAndLoad(driver, By.linkText('Jayden Mercer'));
      await assertAccessible(driver, 'person page (phone)');
      await screenshot(driver, '09-person-phone');
      assert.match(await text(driver, 'table.timeline'), /Referred to the MACE panel/);
      const overflow = await driver.executeScript('return document.documentElement.scrollWidth - window.innerWidth');
      assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px; only wide tables should scroll`);
    } finally {
      await phone.quit();
    }
  });
});
