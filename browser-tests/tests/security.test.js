// Access control as people meet it in a browser: two schools see different children,
// emergency access asks why, and the data-protection officer reviews it.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  By, assertAccessible, clickAndLoad, screenshot, signInAs, signOut, startBrowser, startDemo, text, until, visit,
} from './harness.js';

const DEMO_PASSWORD = 'harbour-demo-password';
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

async function search(driver, query) {
  await driver.get(`${demo.baseUrl}/people?q=${encodeURIComponent(query)}`);
  await driver.wait(until.elementLocated(By.css('main h2, main table')), 10_000);
  return text(driver, 'main');
}

describe('two schools', () => {
  it('each finds only children on, or once on, its own roll', async () => {
    const { driver } = browser;
    await signInAs(driver, demo.baseUrl, 'dsl@northgate.example');
    assert.match(await search(driver, 'Mercer'), /Jayden Mercer/);
    await signOut(driver);

    await signInAs(driver, demo.baseUrl, 'dsl@seaview.example');
    const seaview = await search(driver, 'Mercer');
    assert.match(seaview, /No children found/);
    assert.doesNotMatch(seaview, /Jayden/);
    assert.match(await search(driver, 'Brookes'), /Tyler Brookes/);
    await assertAccessible(driver, 'search with no results');
    await screenshot(driver, '10-search-none-seaview');
  });
});

describe('emergency access', () => {
  it('asks for a reason and the password before opening a record, then says so on it', async () => {
    const { driver } = browser;
    await visit(driver, `${demo.baseUrl}/emergency-access`, '11-emergency-form');
    await driver.findElement(By.id('identifier')).sendKeys('nonsense');
    await clickAndLoad(driver, By.css('main form button'));
    await assertAccessible(driver, 'emergency access errors');
    await screenshot(driver, '12-emergency-errors');
    const summary = await text(driver, '.error-summary');
    assert.match(summary, /UPN/);
    assert.match(summary, /at least 20 characters/);
    assert.match(summary, /Enter your password/);

    // Jayden's UPN in the demo county (body 999412520001, check letter J).
    const upnField = await driver.findElement(By.id('identifier'));
    await upnField.clear();
    await upnField.sendKeys('J999412520001');
    await driver.findElement(By.id('reason')).sendKeys('His mother says he has not come home and was seen with older men.');
    await driver.findElement(By.id('password')).sendKeys(DEMO_PASSWORD);
    await clickAndLoad(driver, By.css('main form button'));
    const banner = await driver.findElements(By.css('.emergency-banner'));
    assert.equal(banner.length, 1, `no banner: ${await text(driver, 'main')}`);
    await assertAccessible(driver, 'person page under emergency access');
    await screenshot(driver, '13-person-emergency');
    const page = await text(driver, 'main');
    assert.match(page, /emergency access until/);
    assert.match(page, /Referred to the MACE panel/);
    assert.doesNotMatch(page, /county line/);
    await signOut(driver);
  });

  it('lands in the data-protection officer\'s review queue', async () => {
    const { driver } = browser;
    await signInAs(driver, demo.baseUrl, 'dpo@la.example');
    await visit(driver, `${demo.baseUrl}/audit`, '14-audit-home');
    await visit(driver, `${demo.baseUrl}/audit/emergency-access`, '15-audit-emergency-queue');
    const queue = await text(driver, 'main');
    assert.match(queue, /1 waiting for review/);
    assert.match(queue, /Ellen Marsh/);
    assert.match(queue, /older men/);
    await driver.findElement(By.css('input[value="justified"]')).click();
    await clickAndLoad(driver, By.css('.grant form button'));
    assert.match(await text(driver, 'main'), /0 waiting for review/);
    await visit(driver, `${demo.baseUrl}/audit/refused`, '16-audit-refused');
    await signOut(driver);
  });
});

describe('password sign-in', () => {
  it('signs a demo user in with their password, and refuses a wrong one without saying why', async () => {
    const { driver } = browser;
    await driver.get(`${demo.baseUrl}/sign-in`);
    await driver.findElement(By.id('email')).sendKeys('social.worker@la.example');
    await driver.findElement(By.id('password')).sendKeys('wrong password entirely');
    await clickAndLoad(driver, By.css('form[action="/sign-in"] button[type="submit"]'));
    await assertAccessible(driver, 'sign-in error');
    await screenshot(driver, '17-sign-in-error');
    assert.match(await text(driver, '.error-summary'), /Enter a correct email address, password/);

    await driver.findElement(By.id('password')).sendKeys(DEMO_PASSWORD);
    await clickAndLoad(driver, By.css('form[action="/sign-in"] button[type="submit"]'));
    assert.equal(await text(driver, '.header__user-name'), 'Grace Adeyemi');
  });
});
