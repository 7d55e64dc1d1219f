//! The permanent exclusions register in the browser and the API: the inclusion officer's
//! list, entry page, forms and their refusals; a school DSL sees only its own pupils, read
//! only; other roles are refused; the exports and their formula escaping.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code

mod common;

use common::{App, spawn_app};
use harbour_domain::{Clock, Role};
use reqwest::StatusCode;
use reqwest::header::COOKIE;

/// The app with the feeds' permanent exclusion (Jayden Mercer, Northgate, 17 January 2023)
/// on the register, as the pipeline opens it after an import; returns its entry id.
async fn app_with_entry() -> (App, String) {
    let app = spawn_app().await;
    let opened = app
        .store
        .open_exclusion_entries(&app.county.tenant, app.clock.now())
        .await
        .unwrap();
    assert_eq!(opened, 1);
    let officer = app.sign_in(Role::LaInclusionOfficer, "la").await;
    let (status, body) = app.json("/api/v1/registers/exclusions", &officer).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["entries"][0]["id"].as_str().unwrap().to_owned();
    (app, id)
}

fn agency_id(app: &App, code: &str) -> String {
    app.county
        .agencies
        .iter()
        .find(|a| a.code == code)
        .unwrap()
        .id
        .0
        .to_string()
}

async fn post_json(
    app: &App,
    path: &str,
    cookie: &str,
    body: &serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let response = app
        .client
        .post(app.url(path))
        .header(COOKIE, cookie)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn the_inclusion_officer_sees_the_register_with_its_clocks_and_figures() {
    let (app, id) = app_with_entry().await;
    let officer = app.sign_in(Role::LaInclusionOfficer, "la").await;
    let (status, page) = app.page("/registers/exclusions", &officer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("href=\"/registers/exclusions\" aria-current=\"page\">Exclusions register")
    );
    assert!(page.contains("Jayden Mercer"), "{page}");
    assert!(page.contains("Northgate Academy"));
    assert!(page.contains("17 January 2023"));
    // Day 6 was Tuesday 24 January 2023 and nothing was offered: missed, in words.
    assert!(
        page.contains("tag--red\">Missed</strong><br><span class=\"hint\">due 24 January 2023"),
        "{page}"
    );
    assert!(page.contains("Add a permanent exclusion by hand"));
    assert!(
        page.contains("<p class=\"heading-l\">1</p>"),
        "one on the register: {page}"
    );
    assert!(page.contains("0% (0 of 1)"), "{page}");
    assert!(page.contains(&format!("/registers/exclusions/{id}")));

    // Filters: closed entries only shows none; a bad age is named in an error summary.
    let (_, closed) = app
        .page("/registers/exclusions?status=closed", &officer)
        .await;
    assert!(
        !closed.contains(&format!("/registers/exclusions/{id}\"")),
        "{closed}"
    );
    assert!(closed.contains("0 entries"));
    let (status, bad) = app
        .page("/registers/exclusions?min_age=ten", &officer)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        bad.contains("<a href=\"#filter-min_age\">Enter an age in whole years"),
        "{bad}"
    );
    assert!(bad.contains("<title>Error: "));
    let (_, old) = app.page("/registers/exclusions?min_age=30", &officer).await;
    assert!(old.contains("Enter an age"), "ages stop at 25");
    let (_, overdue) = app
        .page("/registers/exclusions?overdue=yes&status=all", &officer)
        .await;
    assert!(
        overdue.contains("Jayden Mercer"),
        "day 6 missed counts as overdue"
    );
    let northgate = agency_id(&app, "northgate");
    let seaview = agency_id(&app, "seaview");
    let (_, ours) = app
        .page(
            &format!("/registers/exclusions?school={northgate}"),
            &officer,
        )
        .await;
    assert!(ours.contains("Jayden Mercer"));
    let (_, theirs) = app
        .page(&format!("/registers/exclusions?school={seaview}"), &officer)
        .await;
    assert!(!theirs.contains("Jayden Mercer"));

    // The entry page: child, school, clocks with due dates and states.
    let (status, entry) = app
        .page(&format!("/registers/exclusions/{id}"), &officer)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(entry.contains(&format!(
        "<a href=\"/people/{}\">Jayden Mercer</a>",
        app.jayden()
    )));
    assert!(entry.contains("Full-time education from day 6"));
    assert!(
        entry.contains("Governing board&#39;s decision")
            || entry.contains("Governing board's decision")
    );
    assert!(
        entry.contains("From the school&#39;s feed") || entry.contains("From the school's feed")
    );
    assert!(
        entry.contains("Record an education offer"),
        "keepers get the forms"
    );
    assert!(entry.contains("name=\"csrf_token\""));
}

#[tokio::test]
async fn the_officer_records_an_offer_a_review_and_closes_and_refusals_name_the_field() {
    let (app, id) = app_with_entry().await;
    let officer = app.sign_in(Role::LaInclusionOfficer, "la").await;
    let token = app.form_token(&officer).await;
    let path = format!("/registers/exclusions/{id}/facts");

    // A board meeting before the exclusion: the casework's refusal, on the right field,
    // with what was typed kept.
    let response = app
        .post_form(
            &path,
            &officer,
            &[
                ("csrf_token", &token),
                ("fact", "board_decision"),
                ("on", "10/1/2023"),
                ("reinstate", "no"),
                ("parents_told_on", "31/1/2023"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("<a href=\"#board_decision-on\">The board&#39;s decision must be on or after the exclusion")
        || page.contains("<a href=\"#board_decision-on\">The board's decision must be on or after the exclusion"), "{page}");
    assert!(page.contains("id=\"board_decision-on-error\""));
    assert!(
        page.contains("value=\"10/1/2023\""),
        "what was typed is kept"
    );
    assert!(page.contains("value=\"31/1/2023\""));
    assert!(page.contains("id=\"form-board_decision\" open"));

    // Bad input never reaches the rules: hours that are not a number, a date that is not one.
    let response = app
        .post_form(
            &path,
            &officer,
            &[
                ("csrf_token", &token),
                ("fact", "offer"),
                ("provider", "Harbourshire PRU"),
                ("hours", "lots"),
                ("starts_on", "25/1/2023"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("<a href=\"#offer-hours\">Enter hours as a number"),
        "{page}"
    );
    assert!(page.contains("value=\"Harbourshire PRU\""));
    let response = app
        .post_form(
            &path,
            &officer,
            &[
                ("csrf_token", &token),
                ("fact", "offer"),
                ("provider", "Harbourshire PRU"),
                ("hours", "25"),
                ("starts_on", "31/2/2023"),
            ],
        )
        .await;
    let page = response.text().await.unwrap();
    assert!(
        page.contains(
            "<a href=\"#offer-starts_on\">Enter the date the offer starts as a real date"
        ),
        "{page}"
    );

    // A full-time offer from 25 January: day 6 (24 January) met late.
    let response = app
        .post_form(
            &path,
            &officer,
            &[
                ("csrf_token", &token),
                ("fact", "offer"),
                ("provider", "Harbourshire PRU"),
                ("hours", "25"),
                ("starts_on", "25/1/2023"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, entry) = app
        .page(&format!("/registers/exclusions/{id}?saved=offer"), &officer)
        .await;
    assert!(entry.contains("Offer recorded"));
    assert!(entry.contains("25 hours a week with Harbourshire PRU"));
    assert!(entry.contains("tag--orange\">Met late"), "{entry}");
    assert!(entry.contains("25 January 2023 (due 24 January 2023)"));
    assert!(entry.contains("Priya Shah"), "history says who");

    // A review with notes and the next date, then closure with its reason's fields.
    let response = app
        .post_form(
            &path,
            &officer,
            &[
                ("csrf_token", &token),
                ("fact", "review"),
                ("on", "2023-03-01"),
                ("notes", "Settled at the PRU; attending well."),
                ("next_on", "12/4/2023"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = app
        .post_form(
            &path,
            &officer,
            &[
                ("csrf_token", &token),
                ("fact", "closed"),
                ("on", "1/9/2023"),
                ("reason", "placed_on_roll"),
                ("school", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("<a href=\"#closed-school\">Enter the school the child is on roll at"),
        "{page}"
    );
    assert!(
        page.contains("id=\"closed-reason\" name=\"reason\" value=\"reinstated\">")
            || page.contains("value=\"placed_on_roll\" checked"),
        "{page}"
    );
    let response = app
        .post_form(
            &path,
            &officer,
            &[
                ("csrf_token", &token),
                ("fact", "closed"),
                ("on", "1/9/2023"),
                ("reason", "placed_on_roll"),
                ("school", "Seaview School"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, entry) = app
        .page(&format!("/registers/exclusions/{id}"), &officer)
        .await;
    assert!(entry.contains("Settled at the PRU; attending well."));
    assert!(entry.contains("on the roll of Seaview School"));
    assert!(
        entry.contains("Reopen this entry"),
        "a closed entry offers only reopening"
    );
    assert!(!entry.contains("Record an education offer"));
    // The list's first view leaves the closed entry out and still counts it in the figures,
    // as the whole register's view does.
    let (_, list) = app.page("/registers/exclusions", &officer).await;
    let (_, all) = app.page("/registers/exclusions?status=all", &officer).await;
    assert!(
        !list.contains(&format!("/registers/exclusions/{id}\"")),
        "{list}"
    );
    assert!(
        all.contains(&format!("/registers/exclusions/{id}\"")),
        "{all}"
    );
    let figures = |page: &str| {
        let start = page.find("id=\"figures\"").unwrap();
        let end = start + page[start..].find("</div>").unwrap();
        page[start..end].to_owned()
    };
    assert_eq!(figures(&list), figures(&all));
    assert!(
        figures(&list).contains("6.0 school days"),
        "the closed entry's time to provision: {}",
        figures(&list)
    );
    // Anything else on a closed entry is refused by the rules, shown on the form's field.
    let response = app
        .post_form(
            &path,
            &officer,
            &[
                ("csrf_token", &token),
                ("fact", "review_applied"),
                ("on", "2/9/2023"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("<a href=\"#review_applied-on\">This entry is closed"),
        "{page}"
    );
    let response = app
        .post_form(
            &path,
            &officer,
            &[("csrf_token", &token), ("fact", "reopened"), ("why", "")],
        )
        .await;
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<a href=\"#reopened-why\">Say why the entry is reopened")
    );
    let response = app
        .post_form(
            &path,
            &officer,
            &[
                ("csrf_token", &token),
                ("fact", "reopened"),
                ("why", "The place fell through"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // Without the form's token nothing is recorded.
    let response = app
        .post_form(&path, &officer, &[("fact", "reopened"), ("why", "again")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // The list shows the history's effect: open again, with the offer.
    let (_, list) = app.page("/registers/exclusions", &officer).await;
    assert!(list.contains("25 hours, Harbourshire PRU"), "{list}");
    assert!(list.contains("Full-time"));
}

#[tokio::test]
async fn a_school_sees_only_its_own_pupils_read_only_and_others_are_refused() {
    let (app, id) = app_with_entry().await;
    // A second entry, added by hand for Seaview.
    let officer = app.sign_in(Role::LaInclusionOfficer, "la").await;
    let other_child = app.county.batch.persons[1].id.to_string();
    let (status, added) = post_json(
        &app,
        "/api/v1/registers/exclusions",
        &officer,
        &serde_json::json!({
            "person": other_child,
            "school": agency_id(&app, "seaview"),
            "first_day": "2026-11-02",
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let seaview_entry = added["id"].as_str().unwrap().to_owned();

    let northgate = app.sign_in(Role::SchoolDsl, "northgate").await;
    let (status, page) = app.page("/registers/exclusions", &northgate).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Exclusions register</a>"),
        "the navigation shows it"
    );
    assert!(page.contains("Jayden Mercer"));
    assert!(!page.contains(&seaview_entry), "only its own pupils");
    assert!(!page.contains("Add a permanent exclusion by hand"));
    let (status, entry) = app
        .page(&format!("/registers/exclusions/{id}"), &northgate)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !entry.contains("Record an education offer"),
        "read only: no forms"
    );
    let (status, _) = app
        .page(
            &format!("/registers/exclusions/{seaview_entry}"),
            &northgate,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another school's entry is missing"
    );
    let (status, _) = app
        .json(
            &format!("/api/v1/registers/exclusions/{seaview_entry}"),
            &northgate,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A school may not record, even on its own pupil: refused, and the refusal audited.
    let token = app.form_token(&northgate).await;
    let before = app.refusals().await.len();
    let response = app
        .post_form(
            &format!("/registers/exclusions/{id}/facts"),
            &northgate,
            &[
                ("csrf_token", &token),
                ("fact", "review_applied"),
                ("on", "1/2/2023"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let (status, body) = post_json(
        &app,
        &format!("/api/v1/registers/exclusions/{id}/facts"),
        &northgate,
        &serde_json::json!({"fact": "review_applied", "on": "2023-02-01"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        app.refusals().await.len(),
        before + 2,
        "both refusals audited"
    );
    let response = app.get("/registers/exclusions/new", &northgate).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // Police and health see no register: no navigation entry, 403 on the list, 404 on an entry.
    for (role, agency) in [
        (Role::PoliceMaceCoordinator, "police"),
        (Role::HealthSafeguardingNurse, "health"),
    ] {
        let cookie = app.sign_in(role, agency).await;
        let (status, page) = app.page("/registers/exclusions", &cookie).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}");
        assert!(!page.contains("Jayden"));
        let (_, home) = app.page("/", &cookie).await;
        assert!(!home.contains("Exclusions register"), "{role:?}");
        let (status, _) = app.json("/api/v1/registers/exclusions", &cookie).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app
            .page(&format!("/registers/exclusions/{id}"), &cookie)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_api_lists_records_and_refuses_naming_the_field() {
    let (app, id) = app_with_entry().await;
    let officer = app.sign_in(Role::LaInclusionOfficer, "la").await;
    let (status, body) = app.json("/api/v1/registers/exclusions", &officer).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["may_record"], true);
    assert_eq!(body["figures"]["on_register"], 1);
    let entry = &body["entries"][0];
    assert_eq!(entry["child"], "Jayden Mercer");
    assert_eq!(entry["first_day"], "2023-01-17");
    assert_eq!(entry["day_six"]["state"], "missed");
    assert_eq!(entry["day_six"]["due"], "2023-01-24");
    assert_eq!(entry["school"], "Northgate Academy");
    let (status, bad) = app
        .json("/api/v1/registers/exclusions?status=shut", &officer)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["error"]["field"], "status");

    let facts = format!("/api/v1/registers/exclusions/{id}/facts");
    let (status, body) = post_json(
        &app,
        &facts,
        &officer,
        &serde_json::json!({"fact": "board_decision", "on": "2023-01-10", "reinstate": false, "parents_told_on": "2023-01-31"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "invalid_input");
    assert_eq!(body["error"]["field"], "on");
    let (status, body) = post_json(
        &app,
        &facts,
        &officer,
        &serde_json::json!({"fact": "nonsense"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "fact");
    let (status, body) = post_json(
        &app,
        &facts,
        &officer,
        &serde_json::json!({"fact": "offer", "provider": "Harbourshire PRU", "hours": 150, "starts_on": "2023-01-23"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["entry"]["offer"]["hours"], "15");
    assert_eq!(body["entry"]["offer"]["full_time"], false);
    // The authority's PRU placement (from its feed, by Harbour), then the officer's offer.
    assert_eq!(body["history"][0]["fact"]["fact"], "offer");
    assert!(
        body["history"][0]["fact"]["placement"].is_string(),
        "{body}"
    );
    assert_eq!(body["history"][0]["recorded_by"], serde_json::Value::Null);
    assert_eq!(body["history"][1]["fact"]["fact"], "offer");
    assert_eq!(body["history"][1]["recorded_by"], "Priya Shah");
    let (status, detail) = app
        .json(&format!("/api/v1/registers/exclusions/{id}"), &officer)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        detail["entry"]["part_time_too_long"], true,
        "part-time since 2023"
    );

    let (status, body) = post_json(
        &app,
        "/api/v1/registers/exclusions/not-an-id/facts",
        &officer,
        &serde_json::json!({"fact": "review_applied", "on": "2023-02-01"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = post_json(
        &app,
        &format!("/api/v1/registers/exclusions/{}/facts", uuid::Uuid::nil()),
        &officer,
        &serde_json::json!({"fact": "review_applied", "on": "2023-02-01"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Adding: a future first day and an unknown child are refused naming the field.
    let (status, body) = post_json(
        &app,
        "/api/v1/registers/exclusions",
        &officer,
        &serde_json::json!({"person": app.jayden(), "first_day": "2027-01-01"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "first_day");
    let (status, body) = post_json(
        &app,
        "/api/v1/registers/exclusions",
        &officer,
        &serde_json::json!({"person": uuid::Uuid::nil(), "first_day": "2026-11-02"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "person");
}

#[tokio::test]
async fn an_entry_is_added_by_hand_from_a_form() {
    let (app, _) = app_with_entry().await;
    let officer = app.sign_in(Role::LaInclusionOfficer, "la").await;
    let child = app.county.batch.persons[1].id.to_string();
    let (status, page) = app
        .page(
            &format!("/registers/exclusions/new?person={child}"),
            &officer,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("value=\"{child}\"")));
    assert!(page.contains("Seaview School"));
    let name = &app
        .county
        .batch
        .source_records
        .iter()
        .find(|r| r.person.to_string() == child)
        .unwrap();
    assert!(
        page.contains(&format!("For {} {}.", name.given_name, name.family_name)),
        "the child is named: {page}"
    );
    let token = app.form_token(&officer).await;
    let response = app
        .post_form(
            "/registers/exclusions/new",
            &officer,
            &[
                ("csrf_token", &token),
                ("person", &child),
                ("school", &agency_id(&app, "seaview")),
                ("first_day", "32/10/2026"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("<a href=\"#new-first_day\">"), "{page}");
    assert!(page.contains("value=\"32/10/2026\""));
    let response = app
        .post_form(
            "/registers/exclusions/new",
            &officer,
            &[
                ("csrf_token", &token),
                ("person", &child),
                ("school", &agency_id(&app, "seaview")),
                ("first_day", "2/11/2026"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = response.headers()["location"].to_str().unwrap().to_owned();
    let (_, entry) = app.page(&to, &officer).await;
    assert!(entry.contains("Entry added to the register"));
    // The child's page links the inclusion officer here, and not to the register they do
    // not keep.
    let (_, person) = app.page(&format!("/people/{child}"), &officer).await;
    assert!(
        person.contains(&format!(
            "<a href=\"/registers/exclusions/new?person={child}\">Add to exclusions register</a>"
        )),
        "{person}"
    );
    assert!(!person.contains("Add to children not in school register"));
    assert!(entry.contains("Seaview School"));
    assert!(entry.contains("By hand"));
}

#[tokio::test]
async fn the_exports_match_the_list_escape_formulas_and_are_audited_as_exports() {
    let (app, id) = app_with_entry().await;
    let officer = app.sign_in(Role::LaInclusionOfficer, "la").await;
    // A provider typed as a formula must never run in a spreadsheet.
    let (status, body) = post_json(
        &app,
        &format!("/api/v1/registers/exclusions/{id}/facts"),
        &officer,
        &serde_json::json!({"fact": "offer", "provider": "=HYPERLINK(\"http://x\",\"PRU\")", "hours": 250, "starts_on": "2023-01-23"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let response = app.get("/registers/exclusions/export.csv", &officer).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"exclusions-register-2026-11-20.csv\"")
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0]
            .starts_with("Child,Date of birth,Age,Excluding school,First day,Day 6,Board,Hours offered a week,Provider"),
        "{csv}"
    );
    assert_eq!(lines.len(), 2, "one entry: {csv}");
    assert!(lines[1].starts_with("Jayden Mercer,"), "{csv}");
    assert!(lines[1].contains("Northgate Academy"));
    assert!(lines[1].contains("Met 23 January 2023"), "{csv}");
    assert!(
        lines[1].contains("\"'=HYPERLINK"),
        "the formula is made text: {csv}"
    );
    assert!(!lines[1].contains(",=HYPERLINK") && !lines[1].contains(",\"=HYPERLINK"));
    // The filters apply: no closed entries.
    let (_, closed) = app
        .page("/registers/exclusions/export.csv?status=closed", &officer)
        .await;
    assert_eq!(closed.lines().count(), 1, "only the header: {closed}");
    let (status, _) = app
        .page("/registers/exclusions/export.csv?status=shut", &officer)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let response = app.get("/registers/exclusions/export.xlsx", &officer).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = response.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut strings = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("xl/sharedStrings.xml").unwrap(),
        &mut strings,
    )
    .unwrap();
    assert!(strings.contains("Jayden Mercer"), "{strings}");
    assert!(strings.contains("Excluding school"));
    assert!(
        strings.contains("&apos;=HYPERLINK") || strings.contains("'=HYPERLINK"),
        "{strings}"
    );
    let mut sheet = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut sheet,
    )
    .unwrap();
    assert!(!sheet.contains("<f>"), "no formula cells: {sheet}");

    // Each download is audited as an export, naming the child.
    let dpo = app
        .county
        .users
        .iter()
        .find(|u| u.roles.contains(&Role::DataProtectionOfficer))
        .unwrap();
    // (The store reads the whole register it may show, so every download names its children,
    // whatever the filters leave out of the file.)
    let staff = app.staff(&dpo.email).await;
    let reviewer = harbour_policy::Principal {
        user: staff.id,
        tenant: staff.tenant,
        agency: staff.agency,
        roles: staff.roles,
    };
    let audit = app
        .store
        .audit_for_person(
            &reviewer,
            harbour_domain::PersonId(app.jayden().parse().unwrap()),
            harbour_store::AuditPage {
                offset: 0,
                limit: 1000,
            },
            app.clock.now(),
        )
        .await
        .unwrap()
        .unwrap();
    let exports = audit
        .lines
        .lines
        .iter()
        .filter(|l| l.action == "export_register")
        .count();
    assert_eq!(exports, 3, "two CSV downloads naming him and one XLSX");

    // A school's export holds only its own pupils; police are refused.
    let seaview = app.sign_in(Role::SchoolDsl, "seaview").await;
    let (status, theirs) = app.page("/registers/exclusions/export.csv", &seaview).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(theirs.lines().count(), 1, "{theirs}");
    let police = app.sign_in(Role::PoliceMaceCoordinator, "police").await;
    let response = app.get("/registers/exclusions/export.xlsx", &police).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

// ---------------------------------------------------------------------------------------
// The children not in school register: adding by hand, and each part's downloads
// ---------------------------------------------------------------------------------------

/// The demo person whose agency record carries `given_name`.
fn person_named(app: &App, given_name: &str) -> String {
    app.county
        .batch
        .source_records
        .iter()
        .find(|r| r.given_name == given_name)
        .unwrap()
        .person
        .to_string()
}

/// How many children the register's home-education part holds, as the officer sees it.
async fn home_educated(app: &App, officer: &str) -> usize {
    let (status, body) = app
        .json("/api/v1/registers/children-not-in-school", officer)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["home_education"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_child_is_registered_as_home_educated_by_hand_from_the_person_page() {
    let app = spawn_app().await;
    let officer = app.sign_in(Role::LaCmeEheOfficer, "la").await;
    let jayden = app.jayden();

    // The person page links to the add pages, carrying the child.
    let (status, person) = app.page(&format!("/people/{jayden}"), &officer).await;
    assert_eq!(status, StatusCode::OK);
    let link = format!("/children-not-in-school/new?person={jayden}");
    assert!(
        person.contains(&format!(
            "<a href=\"{link}\">Add to children not in school register</a>"
        )),
        "{person}"
    );
    assert!(
        !person.contains("Add to exclusions register"),
        "not a keeper of that one"
    );
    let (status, choice) = app.page(&link, &officer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        choice.contains("Add Jayden Mercer to the register"),
        "{choice}"
    );
    let form = format!("/children-not-in-school/home-education/new?person={jayden}");
    assert!(choice.contains(&format!("href=\"{form}\"")), "{choice}");
    assert!(choice.contains(&format!(
        "href=\"/children-not-in-school/missing-education/new?person={jayden}\""
    )));
    let (status, page) = app.page(&form, &officer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("For Jayden Mercer."), "{page}");
    assert!(page.contains(&format!("value=\"{jayden}\"")));

    // Every problem at once, each linked from the summary to its field, what was typed kept.
    let token = app.form_token(&officer).await;
    let before = home_educated(&app, &officer).await;
    let response = app
        .post_form(
            "/children-not-in-school/home-education/new",
            &officer,
            &[
                ("csrf_token", &token),
                ("person", &jayden),
                ("first_day", "31/2/2026"),
                ("parent1_name", "Dana Mercer"),
                ("parent1_address", ""),
                ("parent1_educates", "yes"),
                ("hours_by_parents", "lots"),
                ("hours_by_others", "0"),
                ("consent", "not_needed"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("There is a problem"), "{page}");
    for field in [
        "ehe-first_day",
        "ehe-parent1_address",
        "ehe-hours_by_parents",
    ] {
        assert!(
            page.contains(&format!("<a href=\"#{field}\">")),
            "{field}: {page}"
        );
        assert!(page.contains(&format!("id=\"{field}-error\"")), "{field}");
    }
    assert!(page.contains("value=\"Dana Mercer\""), "typed kept: {page}");
    assert!(page.contains("value=\"31/2/2026\""));

    // The casework's own refusal names its field: a parent who educates but is not entered
    // cannot be (nobody educates), so `educating_parents` points at the tick box.
    let response = app
        .post_form(
            "/children-not-in-school/home-education/new",
            &officer,
            &[
                ("csrf_token", &token),
                ("person", &jayden),
                ("first_day", "2/11/2026"),
                ("parent1_name", "Dana Mercer"),
                ("parent1_address", "12 Quay Street, Harbourtown"),
                ("hours_by_parents", "0"),
                ("hours_by_others", "0"),
                ("consent", "not_needed"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("<a href=\"#ehe-parent1_educates\">Enter who educates the child"),
        "{page}"
    );
    assert_eq!(
        home_educated(&app, &officer).await,
        before,
        "nothing written"
    );

    // Whole: registered, with the content on the entry page.
    let response = app
        .post_form(
            "/children-not-in-school/home-education/new",
            &officer,
            &[
                ("csrf_token", &token),
                ("person", &jayden),
                ("first_day", "2/11/2026"),
                ("parent1_name", "Dana Mercer"),
                ("parent1_address", "12 Quay Street, Harbourtown"),
                ("parent1_educates", "yes"),
                ("hours_by_parents", "18"),
                ("hours_by_others", "4.5"),
                ("provider_name", "Harbour Online Academy"),
                ("provider_address", "https://online.example"),
                ("provider_kind", "Online school"),
                ("provider_hours", "4.5"),
                ("consent", "not_needed"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        to.starts_with("/children-not-in-school/home-education/"),
        "{to}"
    );
    let (status, entry) = app.page(&to, &officer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(entry.contains("Jayden Mercer"));
    assert!(entry.contains("Registration (s.436C(1))"), "{entry}");
    assert!(entry.contains("Dana Mercer, 12 Quay Street, Harbourtown"));
    assert!(entry.contains(
        "Harbour Online Academy (Online school), https://online.example, 4.5 hours a week"
    ));
    assert!(entry.contains("Registration details recorded"));
    assert!(entry.contains("Not needed"), "no consent needed: {entry}");
    assert_eq!(home_educated(&app, &officer).await, before + 1);
}

#[tokio::test]
async fn a_hand_registration_needs_the_consent_s434a_requires() {
    let app = spawn_app().await;
    let officer = app.sign_in(Role::LaCmeEheOfficer, "la").await;
    // Ruby Sandford is on Northgate's roll; make Northgate a special school, so withdrawing
    // her to home education needs the authority's consent.
    let northgate = app
        .county
        .agencies
        .iter()
        .find(|a| a.code == "northgate")
        .unwrap()
        .id;
    app.store
        .set_special_school(&app.county.tenant, northgate, true, app.clock.now())
        .await
        .unwrap();
    let ruby = person_named(&app, "Ruby");
    let before = home_educated(&app, &officer).await;
    let token = app.form_token(&officer).await;
    let form = |consent: &'static str, on: &'static str| {
        vec![
            ("csrf_token", token.clone()),
            ("person", ruby.clone()),
            ("first_day", "2/11/2026".to_owned()),
            ("parent1_name", "Lee Sandford".to_owned()),
            ("parent1_address", "3 Rope Walk, Harbourtown".to_owned()),
            ("parent1_educates", "yes".to_owned()),
            ("hours_by_parents", "20".to_owned()),
            ("hours_by_others", "0".to_owned()),
            ("consent", consent.to_owned()),
            ("consent_on", on.to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let request = app
            .client
            .post(app.url("/children-not-in-school/home-education/new"))
            .header(COOKIE, &officer)
            .form(&pairs);
        async move { request.send().await.unwrap() }
    };
    let response = post(form("not_needed", "")).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("<a href=\"#ehe-consent\">This child is on the roll of a special school: record the authority&#39;s consent decision (s.434A)"),
        "{page}"
    );
    assert_eq!(
        home_educated(&app, &officer).await,
        before,
        "nothing written"
    );
    // A decision without its date names the date.
    let response = post(form("granted", "")).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<a href=\"#ehe-consent_on\">")
    );
    // The API refuses the same way, naming `consent`.
    let (status, body) = post_json(
        &app,
        "/api/v1/registers/children-not-in-school/home-education",
        &officer,
        &serde_json::json!({
            "person": ruby,
            "first_day": "2026-11-02",
            "registration": {
                "parents": [["Lee Sandford", "3 Rope Walk, Harbourtown"]],
                "educating_parents": ["Lee Sandford"],
                "hours_by_parents": 200, "hours_by_others": 0, "providers": []
            }
        }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "consent");
    assert_eq!(
        home_educated(&app, &officer).await,
        before,
        "nothing written"
    );

    // With the decision: registered, and the decision is on the entry.
    let response = post(form("granted", "30/10/2026")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = response.headers()["location"].to_str().unwrap().to_owned();
    let (_, entry) = app.page(&to, &officer).await;
    assert!(entry.contains("Granted"), "{entry}");
    assert!(
        entry.contains("Consent granted on 30 October 2026"),
        "{entry}"
    );
    assert_eq!(home_educated(&app, &officer).await, before + 1);
}

#[tokio::test]
async fn a_missing_education_episode_is_opened_by_hand_from_a_form_and_the_api() {
    let app = spawn_app().await;
    let officer = app.sign_in(Role::LaCmeEheOfficer, "la").await;
    let child = person_named(&app, "Ruby");
    let (status, page) = app
        .page(
            &format!("/children-not-in-school/missing-education/new?person={child}"),
            &officer,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("For Ruby Sandford."), "{page}");
    assert!(page.contains("Seaview School"));
    let token = app.form_token(&officer).await;
    for (first_day, message) in [
        ("", "Enter the first day the child was missing education"),
        ("tomorrow", "as a real date"),
        ("21/11/2026", "cannot be in the future"),
    ] {
        let response = app
            .post_form(
                "/children-not-in-school/missing-education/new",
                &officer,
                &[
                    ("csrf_token", &token),
                    ("person", &child),
                    ("first_day", first_day),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = response.text().await.unwrap();
        assert!(
            page.contains("<a href=\"#cme-first_day\">"),
            "{first_day}: {page}"
        );
        assert!(page.contains(message), "{first_day}: {page}");
    }
    let response = app
        .post_form(
            "/children-not-in-school/missing-education/new",
            &officer,
            &[
                ("csrf_token", &token),
                ("person", "not a person"),
                ("first_day", "2/11/2026"),
            ],
        )
        .await;
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<a href=\"#cme-person\">")
    );
    let response = app
        .post_form(
            "/children-not-in-school/missing-education/new",
            &officer,
            &[
                ("csrf_token", &token),
                ("person", &child),
                ("school", &agency_id(&app, "northgate")),
                ("first_day", "2/11/2026"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = response.headers()["location"].to_str().unwrap().to_owned();
    let (_, episode) = app.page(&to, &officer).await;
    assert!(episode.contains("Ruby Sandford"), "{episode}");
    assert!(
        episode.contains("Northgate Academy"),
        "the school named: {episode}"
    );
    assert!(episode.contains("Tracing checklist"));
    // Northgate's lead now sees it, read only.
    let northgate = app.sign_in(Role::SchoolDsl, "northgate").await;
    let (status, _) = app.page(&to, &northgate).await;
    assert_eq!(status, StatusCode::OK);

    // The API: opened; a bad date is 400 naming it; an unknown child 422; police 403.
    let path = "/api/v1/registers/children-not-in-school/missing-education";
    let (status, body) = post_json(
        &app,
        path,
        &officer,
        &serde_json::json!({"person": child, "first_day": "2026-11-09"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["id"].is_string());
    let (status, body) = post_json(
        &app,
        path,
        &officer,
        &serde_json::json!({"person": child, "first_day": "9 Nov"}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("first_day"))
    );
    let (status, body) = post_json(
        &app,
        path,
        &officer,
        &serde_json::json!({"person": "0190a6b2-7c3e-7000-8000-000000000001", "first_day": "2026-11-09"}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("person"))
    );
    let police = app.sign_in(Role::PoliceMaceCoordinator, "police").await;
    let (status, _) = post_json(
        &app,
        path,
        &police,
        &serde_json::json!({"person": child, "first_day": "2026-11-09"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// The list shows the open entries unless the officer asks for the closed ones too (the
/// feed closed Jayden's first spell and his home education); the figures count every entry.
#[tokio::test]
async fn the_children_not_in_school_list_shows_open_entries_unless_asked() {
    let app = spawn_app().await;
    app.store
        .open_not_in_school_entries(&app.county.tenant, app.clock.now())
        .await
        .unwrap();
    let officer = app.sign_in(Role::LaCmeEheOfficer, "la").await;
    let (_, register) = app
        .json("/api/v1/registers/children-not-in-school", &officer)
        .await;
    let links = |open: bool| -> Vec<String> {
        let mut out = Vec::new();
        for (part, path) in [
            ("home_education", "home-education"),
            ("missing_education", "missing-education"),
        ] {
            for entry in register[part].as_array().unwrap() {
                if entry["open"].as_bool() == Some(open) {
                    let id = entry["id"].as_str().unwrap();
                    out.push(format!("href=\"/children-not-in-school/{path}/{id}\""));
                }
            }
        }
        out
    };
    let (open, closed) = (links(true), links(false));
    assert!(!open.is_empty() && !closed.is_empty(), "{register}");

    let (status, list) = app.page("/children-not-in-school", &officer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(open.iter().all(|l| list.contains(l.as_str())), "{list}");
    assert!(!closed.iter().any(|l| list.contains(l.as_str())), "{list}");
    let (_, only_closed) = app
        .page("/children-not-in-school?status=closed", &officer)
        .await;
    assert!(closed.iter().all(|l| only_closed.contains(l.as_str())));
    assert!(!open.iter().any(|l| only_closed.contains(l.as_str())));
    let (_, all) = app
        .page("/children-not-in-school?status=all", &officer)
        .await;
    assert!(open.iter().chain(&closed).all(|l| all.contains(l.as_str())));

    let (status, refused) = app
        .page("/children-not-in-school?status=shut", &officer)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        refused.contains("Choose open, closed or all entries"),
        "{refused}"
    );
}

#[tokio::test]
async fn each_part_of_the_children_not_in_school_register_downloads_as_the_list_shows_it() {
    let app = spawn_app().await;
    app.store
        .open_not_in_school_entries(&app.county.tenant, app.clock.now())
        .await
        .unwrap();
    let officer = app.sign_in(Role::LaCmeEheOfficer, "la").await;
    let (_, list) = app.page("/children-not-in-school", &officer).await;
    assert!(list.contains("href=\"/children-not-in-school/home-education/export.csv\""));
    assert!(list.contains("href=\"/children-not-in-school/missing-education/export.xlsx\""));
    assert!(
        list.contains("href=\"/children-not-in-school/new\""),
        "keepers add"
    );
    // A provider typed as a formula must never run in a spreadsheet.
    let (status, body) = post_json(
        &app,
        "/api/v1/registers/children-not-in-school/home-education",
        &officer,
        &serde_json::json!({
            "person": person_named(&app, "Ruby"),
            "first_day": "2026-11-02",
            "registration": {
                "parents": [["Lee Sandford", "3 Rope Walk"]],
                "educating_parents": [],
                "hours_by_parents": 0, "hours_by_others": 200,
                "providers": [{"name": "=HYPERLINK(\"http://x\",\"Tutor\")", "address": "1 Quay", "kind": "", "hours": 200}]
            }
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, register) = app
        .json("/api/v1/registers/children-not-in-school", &officer)
        .await;

    let response = app
        .get(
            "/children-not-in-school/home-education/export.csv",
            &officer,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"home-education-register-2026-11-20.csv\""
    );
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with(
            "Child,Date of birth,Registered,Educated by,Hours a week,Consent (s.434A)"
        ),
        "{csv}"
    );
    assert_eq!(
        lines.len() - 1,
        register["home_education"].as_array().unwrap().len(),
        "a row for each entry the list shows: {csv}"
    );
    assert!(csv.contains("Maisie Doyle-Khan,"), "{csv}");
    assert!(
        csv.contains("\"'=HYPERLINK"),
        "the formula is made text: {csv}"
    );
    assert!(!csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"));
    assert!(csv.contains("0 by parents, 20 by others"), "{csv}");

    let (status, csv) = app
        .page(
            "/children-not-in-school/missing-education/export.csv",
            &officer,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("Child,Date of birth,Reported by,Missing since,Days missing,Traced"),
        "{csv}"
    );
    assert_eq!(
        lines.len() - 1,
        register["missing_education"].as_array().unwrap().len(),
        "{csv}"
    );
    assert!(csv.contains("Jayden Mercer,"), "{csv}");

    let response = app
        .get(
            "/children-not-in-school/missing-education/export.xlsx",
            &officer,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = response.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut strings = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("xl/sharedStrings.xml").unwrap(),
        &mut strings,
    )
    .unwrap();
    assert!(strings.contains("Jayden Mercer"), "{strings}");
    assert!(strings.contains("Tracing steps left"));
    let response = app
        .get(
            "/children-not-in-school/home-education/export.xlsx",
            &officer,
        )
        .await;
    let bytes = response.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut sheet = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut sheet,
    )
    .unwrap();
    assert!(!sheet.contains("<f>"), "no formula cells: {sheet}");
    let mut strings = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("xl/sharedStrings.xml").unwrap(),
        &mut strings,
    )
    .unwrap();
    assert!(
        strings.contains("&apos;=HYPERLINK") || strings.contains("'=HYPERLINK"),
        "{strings}"
    );

    // Each download is audited as an export naming the child: Maisie is in the home-education
    // part only, downloaded twice (CSV and XLSX).
    let dpo = app
        .county
        .users
        .iter()
        .find(|u| u.roles.contains(&Role::DataProtectionOfficer))
        .unwrap();
    let staff = app.staff(&dpo.email).await;
    let reviewer = harbour_policy::Principal {
        user: staff.id,
        tenant: staff.tenant,
        agency: staff.agency,
        roles: staff.roles,
    };
    let audit = app
        .store
        .audit_for_person(
            &reviewer,
            harbour_domain::PersonId(person_named(&app, "Maisie").parse().unwrap()),
            harbour_store::AuditPage {
                offset: 0,
                limit: 1000,
            },
            app.clock.now(),
        )
        .await
        .unwrap()
        .unwrap();
    let exports = audit
        .lines
        .lines
        .iter()
        .filter(|l| l.action == "export_register")
        .count();
    assert_eq!(exports, 2, "one CSV and one XLSX of home education");
    assert!(
        audit
            .lines
            .lines
            .iter()
            .filter(|l| l.action == "export_register")
            .all(|l| l.detail.contains(r#""parts":["home_education"]"#)),
        "each names the part downloaded"
    );

    // A school downloads only its own episodes (none in the demo) and no home education;
    // police download nothing.
    let seaview = app.sign_in(Role::SchoolDsl, "seaview").await;
    let (status, theirs) = app
        .page(
            "/children-not-in-school/missing-education/export.csv",
            &seaview,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(theirs.lines().count(), 1, "{theirs}");
    let (status, _) = app
        .page(
            "/children-not-in-school/home-education/export.csv",
            &seaview,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let police = app.sign_in(Role::PoliceMaceCoordinator, "police").await;
    let response = app
        .get(
            "/children-not-in-school/missing-education/export.xlsx",
            &police,
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_list_shows_each_entrys_owner_and_filters_by_owner() {
    let (app, id) = app_with_entry().await;
    let officer = app.sign_in(Role::LaInclusionOfficer, "la").await;
    let officer_id = app.user_id(Role::LaInclusionOfficer, "la");
    let (_, page) = app.page("/registers/exclusions", &officer).await;
    assert!(page.contains("<th scope=\"col\">Owner</th>"), "{page}");
    assert!(page.contains("<td>Unassigned</td>"), "{page}");
    let (_, mine) = app
        .page(
            &format!("/registers/exclusions?owner={officer_id}"),
            &officer,
        )
        .await;
    assert!(
        !mine.contains("Jayden Mercer"),
        "nobody owns it yet: {mine}"
    );

    // Given to the officer in "My work": the list names them and the filter finds it.
    let (status, body) = post_json(
        &app,
        "/api/v1/tasks/assign",
        &officer,
        &serde_json::json!({"workflow": "exclusions_register", "record": id, "assignee": officer_id}),
    )
    .await;
    assert!(status.is_success(), "{status} {body}");
    let (_, mine) = app
        .page(
            &format!("/registers/exclusions?owner={officer_id}"),
            &officer,
        )
        .await;
    assert!(mine.contains("Jayden Mercer"), "{mine}");
    assert!(mine.contains("<td>Priya Shah</td>"), "{mine}");
    assert!(
        mine.contains(&format!(
            "<option value=\"{officer_id}\" selected>Me</option>"
        )),
        "{mine}"
    );
    assert!(
        mine.contains(&format!("export.csv?owner={officer_id}")),
        "the downloads keep the filter"
    );
    let (_, unassigned) = app
        .page("/registers/exclusions?owner=unassigned", &officer)
        .await;
    assert!(!unassigned.contains("Jayden Mercer"), "{unassigned}");
    let (status, csv) = app
        .page(
            &format!("/registers/exclusions/export.csv?owner={officer_id}"),
            &officer,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        csv.lines().next().unwrap().ends_with(",Status,Owner"),
        "{csv}"
    );
    assert!(
        csv.lines().nth(1).unwrap().ends_with(",Priya Shah"),
        "{csv}"
    );
    let (_, api) = app
        .json(
            &format!("/api/v1/registers/exclusions?owner={officer_id}"),
            &officer,
        )
        .await;
    assert_eq!(api["entries"][0]["owner"]["name"], "Priya Shah", "{api}");
    // A bad owner is refused naming the field, on the page and in the API.
    let (status, page) = app
        .page("/registers/exclusions?owner=someone", &officer)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("<a href=\"#filter-owner\">Choose an owner from the list</a>"),
        "{page}"
    );
    let response = app
        .get("/api/v1/registers/exclusions?owner=someone", &officer)
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["field"], "owner");
}

/// Alternative provision as the inclusion officer uses it: the feed's placement on the list,
/// timed from the exclusion it follows and linked from the exclusion's entry; the forms
/// refuse what cannot be true naming the field and keep what was typed; a review and the end
/// are recorded; a placement added by hand is the exclusion's offer too.
#[tokio::test]
async fn the_inclusion_officer_follows_a_child_from_exclusion_to_a_placement() {
    let (app, exclusion) = app_with_entry().await;
    let tenant = &app.county.tenant;
    app.store
        .open_placement_entries(tenant, app.clock.now())
        .await
        .unwrap();
    let officer = app.sign_in(Role::LaInclusionOfficer, "la").await;
    let (status, list) = app.page("/registers/alternative-provision", &officer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Jayden Mercer"), "{list}");
    // 25 January 2023, eight days after the exclusion on the 17th.
    assert!(
        list.contains("8 days (6 school days) after the exclusion"),
        "{list}"
    );
    assert!(list.contains("Type not recorded"), "{list}");

    // The exclusion's entry lists the placement and offers to add one.
    let (_, entry) = app
        .page(&format!("/registers/exclusions/{exclusion}"), &officer)
        .await;
    let placement = entry
        .split("href=\"/registers/alternative-provision/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        entry.contains("/registers/alternative-provision/new?person="),
        "{entry}"
    );
    let page = format!("/registers/alternative-provision/{placement}");
    let facts = format!("{page}/facts");
    let token = app.form_token(&officer).await;

    // A review before the placement started is refused, naming the field, with what was
    // typed kept; nothing is stored.
    let response = app
        .post_form(
            &facts,
            &officer,
            &[
                ("csrf_token", &token),
                ("fact", "reviewed"),
                ("on", "20/1/2023"),
                ("notes", "Early days"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("href=\"#reviewed-on\""), "{body}");
    assert!(body.contains("Early days"), "the notes are kept: {body}");
    // Hours that are not a number: the same.
    let response = app
        .post_form(
            &facts,
            &officer,
            &[
                ("csrf_token", &token),
                ("fact", "details"),
                ("provider", "Harbourshire PRU"),
                ("hours", "lots"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("#details-hours"));

    for form in [
        vec![
            ("fact", "details"),
            ("provider", "Harbourshire PRU"),
            ("kind", "pupil_referral_unit"),
            ("hours", "25"),
        ],
        vec![
            ("fact", "reviewed"),
            ("on", "3/2/2023"),
            ("notes", "Attending every day"),
        ],
        vec![
            ("fact", "ended"),
            ("on", "10/2/2023"),
            ("outcome", "returned_to_mainstream"),
        ],
    ] {
        let mut fields = vec![("csrf_token", token.as_str())];
        fields.extend(form);
        let response = app.post_form(&facts, &officer, &fields).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{fields:?}");
    }
    let (_, shown) = app.page(&page, &officer).await;
    assert!(
        shown.contains("Ended 10 February 2023: Returned to a mainstream school"),
        "{shown}"
    );
    assert!(shown.contains("Attending every day"), "{shown}");
    assert!(
        !shown.contains("form-reviewed"),
        "an ended placement takes nothing more"
    );

    // Added by hand: the placement, and the offer on the exclusion's entry.
    let jayden = app.jayden();
    let response = app
        .post_form(
            "/registers/alternative-provision/new",
            &officer,
            &[
                ("csrf_token", &token),
                ("person", &jayden),
                ("starts_on", "13/2/2023"),
                ("provider", "Coastline AP Academy"),
                ("kind", "alternative_provision_academy"),
                ("hours", "27.5"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, entry) = app
        .page(&format!("/registers/exclusions/{exclusion}"), &officer)
        .await;
    assert!(entry.contains("Coastline AP Academy"), "{entry}");
    let (_, api) = app
        .json(
            &format!("/api/v1/registers/exclusions/{exclusion}"),
            &officer,
        )
        .await;
    assert!(api.to_string().contains("Coastline AP Academy"), "{api}");
    let (_, pathway) = app
        .json("/api/v1/registers/alternative-provision", &officer)
        .await;
    assert_eq!(pathway["pathway"]["placements"], 2, "{pathway}");
    assert_eq!(pathway["pathway"]["after_exclusion"], 2, "{pathway}");

    // A school's lead sees the exclusion's entry (its offer too) without the placements.
    let school = app.sign_in(Role::SchoolDsl, "northgate").await;
    let (status, theirs) = app
        .page(&format!("/registers/exclusions/{exclusion}"), &school)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!theirs.contains("id=\"placements\""), "{theirs}");
    assert!(
        !theirs.contains("/registers/alternative-provision/"),
        "{theirs}"
    );
}

/// The optional content s.436C(2) allows: special educational needs and what children's
/// social care is doing. A child protection plan the officer ticks is a s.434A condition like
/// one the timeline shows: refused without the consent decision, registered with it, and
/// shown on the entry.
#[tokio::test]
async fn a_registration_may_record_sen_and_social_care_and_a_plan_needs_consent() {
    let app = spawn_app().await;
    let officer = app.sign_in(Role::LaCmeEheOfficer, "la").await;
    let ruby = person_named(&app, "Ruby");
    let before = home_educated(&app, &officer).await;
    let token = app.form_token(&officer).await;
    let form = |consent: &'static str, on: &'static str| {
        vec![
            ("csrf_token", token.clone()),
            ("person", ruby.clone()),
            ("first_day", "2/11/2026".to_owned()),
            ("parent1_name", "Lee Sandford".to_owned()),
            ("parent1_address", "3 Rope Walk, Harbourtown".to_owned()),
            ("parent1_educates", "yes".to_owned()),
            ("hours_by_parents", "20".to_owned()),
            ("hours_by_others", "0".to_owned()),
            ("sen", "ehc_plan".to_owned()),
            ("care_child_protection_plan", "yes".to_owned()),
            ("consent", consent.to_owned()),
            ("consent_on", on.to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let request = app
            .client
            .post(app.url("/children-not-in-school/home-education/new"))
            .header(COOKIE, &officer)
            .form(&pairs);
        async move { request.send().await.unwrap() }
    };
    let response = post(form("not_needed", "")).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("<a href=\"#ehe-consent\">"), "{page}");
    // What was ticked is kept.
    assert!(page.contains("value=\"ehc_plan\" checked"), "{page}");
    assert!(
        page.contains("name=\"care_child_protection_plan\" value=\"yes\" checked"),
        "{page}"
    );
    assert_eq!(
        home_educated(&app, &officer).await,
        before,
        "nothing written"
    );

    let response = post(form("granted", "30/10/2026")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = response.headers()["location"].to_str().unwrap().to_owned();
    let (_, entry) = app.page(&to, &officer).await;
    assert!(entry.contains("Education, health and care plan"), "{entry}");
    assert!(entry.contains("Child protection plan"), "{entry}");
    assert!(
        entry.contains("Consent granted on 30 October 2026"),
        "{entry}"
    );
    assert_eq!(home_educated(&app, &officer).await, before + 1);
}
