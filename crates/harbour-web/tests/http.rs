//! The web layer tested as a browser or API client meets it.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)] // test code: a panic is a failure

mod common;

use common::spawn_app;
use harbour_domain::{Clock, Role};
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, COOKIE, LOCATION, SET_COOKIE};

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let cookie = app.sign_in(Role::SchoolDsl, "northgate").await;
    for path in [
        "/",
        "/sign-in",
        "/people?q=mercer",
        "/health",
        "/api/v1/health",
        "/no-such-page",
        "/static/harbour.css",
    ] {
        let response = app.get(path, &cookie).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        let cache = headers[CACHE_CONTROL].to_str().unwrap();
        if path.starts_with("/static/") {
            assert!(cache.contains("immutable"), "{path}: {cache}");
        } else {
            assert_eq!(cache, "no-store", "{path}");
        }
    }
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in_and_the_api_says_401() {
    let app = spawn_app().await;
    let response = app.get("/people?q=mercer", "").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[LOCATION],
        "/sign-in?next=%2Fpeople%3Fq%3Dmercer",
        "signing in returns to the page asked for"
    );
    let home = app.get("/", "").await;
    assert_eq!(home.headers()[LOCATION], "/sign-in", "home needs no next");
    let (status, body) = app.json("/api/v1/people?q=mercer", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthenticated");
    // A forged or stale cookie is no better than none.
    let forged = format!("harbour_session={}", "ab".repeat(32));
    assert_eq!(app.get("/", &forged).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_sign_in_page_lists_demo_accounts_and_refuses_a_bad_choice() {
    let app = spawn_app().await;
    let (status, page) = app.page("/sign-in", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Sam Okafor") && page.contains("Nadia Petrova"),
        "{page}"
    );

    let response = app
        .client
        .post(app.url("/sign-in"))
        .form(&[("email", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Enter your email address") && page.contains("Enter your password"),
        "{page}"
    );

    for form in [
        vec![("user_id", "not-a-uuid".to_owned())],
        vec![("user_id", uuid::Uuid::now_v7().to_string())],
    ] {
        let response = app
            .client
            .post(app.url("/sign-in"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.headers().get(SET_COOKIE).is_none());
        let page = response.text().await.unwrap();
        assert!(
            page.contains("There is a problem") && page.contains("Choose a demo account"),
            "{page}"
        );
        assert!(
            page.contains("<title>Error: Sign in"),
            "the title says there is an error"
        );
    }
}

#[tokio::test]
async fn a_cross_site_form_post_is_refused() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/sign-in"))
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.example")
        .form(&[("user_id", app.user_id(Role::SchoolDsl, "northgate"))])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers().get(SET_COOKIE).is_none());
}

#[tokio::test]
async fn the_person_page_shows_the_timeline_the_viewer_may_see_with_each_agency() {
    let app = spawn_app().await;
    let dsl = app.sign_in(Role::SchoolDsl, "northgate").await;
    let (status, home) = app.page("/", &dsl).await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("Sam Okafor") && home.contains("Northgate Academy"));

    let (status, results) = app.page("/people?q=mercer", &dsl).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        results.contains(&format!("/people/{}", app.jayden())),
        "{results}"
    );

    let (status, page) = app.page(&format!("/people/{}", app.jayden()), &dsl).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Jayden Mercer"));
    assert!(
        page.contains("Permanent exclusion")
            && page.contains("Youth caution: possession of a bladed article")
    );
    assert!(page.contains("Harbourshire Police") && page.contains("Northgate Academy"));
    assert!(
        !page.contains("county line"),
        "police intelligence leaked to a school"
    );
    assert!(
        !page.contains("stab wound"),
        "health detail leaked to a school"
    );

    let intel = app.sign_in(Role::PoliceIntelligenceOfficer, "police").await;
    let (_, page) = app.page(&format!("/people/{}", app.jayden()), &intel).await;
    assert!(page.contains("county line"));

    // The API answers the same question the same way.
    let (status, body) = app
        .json(&format!("/api/v1/people/{}", app.jayden()), &dsl)
        .await;
    assert_eq!(status, StatusCode::OK);
    let timeline = body["timeline"].as_array().unwrap();
    assert!(
        timeline
            .iter()
            .all(|e| e["handling"] != "police_intelligence"
                && !e["agency_name"].as_str().unwrap().is_empty())
    );
    assert!(timeline.iter().any(|e| e["kind"] == "permanent_exclusion"));
}

#[tokio::test]
async fn another_agencys_record_looks_exactly_like_one_that_does_not_exist() {
    let app = spawn_app().await;
    let dsl = app.sign_in(Role::SchoolDsl, "northgate").await;
    let fenwick = app.county.batch.persons[5].id; // known only to police intelligence
    let (forbidden_status, forbidden) = app.page(&format!("/people/{fenwick}"), &dsl).await;
    let (missing_status, missing) = app
        .page(&format!("/people/{}", uuid::Uuid::now_v7()), &dsl)
        .await;
    assert_eq!(forbidden_status, StatusCode::NOT_FOUND);
    assert_eq!((forbidden_status, &forbidden), (missing_status, &missing));
    let (forbidden_status, forbidden) = app.json(&format!("/api/v1/people/{fenwick}"), &dsl).await;
    let (missing_status, missing) = app
        .json(&format!("/api/v1/people/{}", uuid::Uuid::now_v7()), &dsl)
        .await;
    assert_eq!((forbidden_status, forbidden), (missing_status, missing));
}

#[tokio::test]
async fn bad_input_gets_a_message_that_names_the_field() {
    let app = spawn_app().await;
    let dsl = app.sign_in(Role::SchoolDsl, "northgate").await;

    let (status, page) = app.page("/people?q=j", &dsl).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("href=\"#q\"") && page.contains("Enter at least 2 characters"),
        "{page}"
    );

    let (status, body) = app.json("/api/v1/people?q=mercer&limit=lots", &dsl).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "limit", "{body}");
    let (status, body) = app.json("/api/v1/people?q=mercer&limit=0", &dsl).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("limit"))
    );
    let (status, body) = app.json("/api/v1/people", &dsl).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("q")),
        "{body}"
    );
    let (status, body) = app.json("/api/v1/people/12345", &dsl).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("id"))
    );
    let (status, _) = app.page("/people/12345", &dsl).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Nothing internal ever reaches a response.
    for text in [page, body.to_string()] {
        for leak in ["SELECT", "sqlx", "/src/", "panicked", ".rs:"] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
    }
}

#[tokio::test]
async fn unknown_addresses_get_a_designed_404_or_json() {
    let app = spawn_app().await;
    let (status, page) = app.page("/no/such/page", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("Page not found") && page.contains("class=\"skip-link\""));
    let (status, body) = app.json("/api/v1/nothing-here", "").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[tokio::test]
async fn sessions_end_after_idle_time_and_at_sign_out() {
    let app = spawn_app().await;
    let cookie = app.sign_in(Role::SocialWorker, "la").await;
    app.clock.advance(time::Duration::minutes(14));
    assert_eq!(app.get("/", &cookie).await.status(), StatusCode::OK);
    app.clock.advance(time::Duration::minutes(16));
    assert_eq!(
        app.get("/", &cookie).await.status(),
        StatusCode::SEE_OTHER,
        "idle for 16 minutes"
    );

    let cookie = app.sign_in(Role::SocialWorker, "la").await;
    let no_token = app
        .client
        .post(app.url("/sign-out"))
        .header(COOKIE, &cookie)
        .form(&[("csrf_token", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        no_token.status(),
        StatusCode::FORBIDDEN,
        "sign-out needs the form token"
    );
    assert_eq!(app.get("/", &cookie).await.status(), StatusCode::OK);

    let (_, home) = app.page("/", &cookie).await;
    let token = home
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let out = app
        .client
        .post(app.url("/sign-out"))
        .header(COOKIE, &cookie)
        .form(&[("csrf_token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(
        out.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        app.get("/", &cookie).await.status(),
        StatusCode::SEE_OTHER,
        "the old cookie no longer works"
    );
}

#[tokio::test]
async fn every_read_is_audited_and_the_chain_stays_intact() {
    let app = spawn_app().await;
    let dsl = app.sign_in(Role::SchoolDsl, "northgate").await;
    let before = match app.store.verify_audit().await.unwrap() {
        harbour_store::AuditVerification::Intact { entries } => entries,
        broken => panic!("{broken:?}"),
    };
    app.page("/people?q=mercer", &dsl).await;
    app.page(&format!("/people/{}", app.jayden()), &dsl).await;
    app.json(&format!("/api/v1/people/{}", app.jayden()), &dsl)
        .await;
    match app.store.verify_audit().await.unwrap() {
        // The search, the person page (the record, and the child's alerts in the viewer's
        // queues: two reads, each audited) and the API view.
        harbour_store::AuditVerification::Intact { entries } => assert_eq!(entries, before + 4),
        broken => panic!("{broken:?}"),
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_never_by_address() {
    let app = spawn_app().await;
    let dsl = app.sign_in(Role::SchoolDsl, "northgate").await;
    app.page("/people?q=mercer", &dsl).await;
    app.page(&format!("/people/{}", app.jayden()), &dsl).await;
    let (status, metrics) = app.page("/metrics", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        metrics.contains(
            "harbour_http_requests_total{method=\"GET\",route=\"/people/{id}\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("harbour_http_request_duration_seconds_bucket"));
    assert!(!metrics.contains("mercer") && !metrics.contains(&app.jayden()));
}

#[tokio::test]
async fn the_openapi_document_is_served_and_matches_the_code() {
    let app = spawn_app().await;
    let (status, served) = app.json("/api/v1/openapi.json", "").await;
    assert_eq!(status, StatusCode::OK);
    let generated: serde_json::Value = serde_json::from_str(&harbour_web::openapi_json()).unwrap();
    assert_eq!(served, generated);
    for path in ["/api/v1/health", "/api/v1/people", "/api/v1/people/{id}"] {
        assert!(served["paths"].get(path).is_some(), "{path} missing");
    }
    // Every operation has its own id (OpenAPI requires it; generated clients name methods by it).
    let mut ids: Vec<&str> = served["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let all = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), all, "an operationId is used twice: {ids:?}");
    // Search takes its parameters from the query string, not the path.
    let parameters = served["paths"]["/api/v1/people"]["get"]["parameters"]
        .as_array()
        .unwrap();
    for parameter in parameters {
        assert_eq!(parameter["in"], "query", "{parameter}");
    }
    assert_eq!(
        parameters
            .iter()
            .map(|p| (p["name"].as_str().unwrap(), p["required"].as_bool()))
            .collect::<Vec<_>>(),
        [
            ("q", Some(true)),
            ("limit", Some(false)),
            ("offset", Some(false)),
            ("school", Some(false))
        ]
    );
}

#[tokio::test]
async fn the_health_endpoints_report_the_database() {
    let app = spawn_app().await;
    let (status, body) = app.json("/api/v1/health", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["backend"], app.store.location().backend_name());
    let (status, page) = app.page("/health", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Harbour is working"));
}

#[tokio::test]
async fn oversized_and_malformed_requests_are_refused_cleanly() {
    let app = spawn_app().await;
    let huge = "x".repeat(200 * 1024);
    let response = app
        .client
        .post(app.url("/sign-in"))
        .form(&[("email", huge.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let garbled = app
        .client
        .post(app.url("/sign-in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, 0x00, b'=', 0x80])
        .send()
        .await
        .unwrap();
    assert!(garbled.status().is_client_error(), "{}", garbled.status());

    let wrong_type = app
        .client
        .post(app.url("/sign-in"))
        .json(&serde_json::json!({"email": "x"}))
        .send()
        .await
        .unwrap();
    assert!(
        wrong_type.status().is_client_error(),
        "{}",
        wrong_type.status()
    );

    // The server is still answering.
    assert_eq!(app.get("/health", "").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_timeline_filters_by_agency_and_kind() {
    let app = spawn_app().await;
    let dsl = app.sign_in(Role::SchoolDsl, "northgate").await;
    let (_, all) = app.page(&format!("/people/{}", app.jayden()), &dsl).await;
    assert!(all.contains("Recorded by"), "identity shows its sources");
    let (status, page) = app
        .page(
            &format!("/people/{}?kind=permanent_exclusion&agency=", app.jayden()),
            &dsl,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Permanent exclusion"));
    assert!(
        !page.contains("Youth caution: possession of a bladed article"),
        "other kinds are filtered out"
    );
    assert!(page.contains("Showing 1 of"), "{page}");
}

#[tokio::test]
async fn the_person_page_shows_the_education_journey_from_the_visible_timeline() {
    let app = spawn_app().await;
    let dsl = app.sign_in(Role::SchoolDsl, "northgate").await;
    let (status, page) = app.page(&format!("/people/{}", app.jayden()), &dsl).await;
    assert_eq!(status, StatusCode::OK);
    let panel = page
        .split("id=\"education\"")
        .nth(1)
        .and_then(|rest| rest.split("id=\"timeline\"").next())
        .unwrap_or_else(|| panic!("no education journey panel: {page}"));
    // The roll at Northgate, the permanent exclusion with its reason in words, both
    // suspensions with their sessions, time missing education and in home education.
    assert!(
        panel.contains("Northgate Academy") && panel.contains("3 September 2020"),
        "{panel}"
    );
    assert!(
        panel.contains("Permanent exclusions") && panel.contains("17 January 2023"),
        "{panel}"
    );
    assert!(
        panel.contains("Physical assault against a pupil (PP)"),
        "{panel}"
    );
    assert!(
        panel.contains("suspensions,") && panel.contains("sessions in all"),
        "{panel}"
    );
    assert!(
        panel.contains("Missing education") && panel.contains("Elective home education"),
        "{panel}"
    );
    assert!(panel.contains("Alternative provision"), "{panel}");
    // Attendance by term, with persistent absence said in words beside the chart.
    assert!(
        panel.contains("Summer term 2022") && panel.contains("Persistent absence"),
        "{panel}"
    );
    assert!(panel.contains("<svg class=\"chart\""), "{panel}");
    // Nothing from police or health is gathered into it.
    assert!(
        !panel.contains("caution") && !panel.contains("Emergency"),
        "{panel}"
    );
}

fn hidden(page: &str, name: &str) -> Vec<String> {
    page.split(&format!("name=\"{name}\" value=\""))
        .skip(1)
        .filter_map(|rest| rest.split('"').next().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn identity_reviewers_split_a_child_and_undo_it() {
    let app = spawn_app().await;
    let dsl = app.sign_in(Role::SchoolDsl, "northgate").await;
    let (status, _) = app.page("/identity-review", &dsl).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let officer = app.sign_in(Role::LaInclusionOfficer, "la").await;
    let (status, queue) = app.page("/identity-review", &officer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains("Same child?"));

    let jayden = format!("/people/{}", app.jayden());
    let (_, page) = app.page(&jayden, &officer).await;
    let records = hidden(&page, "record");
    assert!(
        records.len() >= 2,
        "the officer can split Jayden's records: {page}"
    );
    let token = app.form_token(&officer).await;
    let split = app
        .post_form(
            &format!("{jayden}/split"),
            &officer,
            &[
                ("csrf_token", &token),
                ("reason", "the health record is a cousin"),
                ("record", &records[0]),
            ],
        )
        .await;
    assert_eq!(split.status(), StatusCode::SEE_OTHER);
    let new_person = split.headers()["location"].to_str().unwrap().to_owned();
    assert_ne!(new_person, jayden);

    let (_, page) = app.page(&jayden, &officer).await;
    assert!(page.contains("Split of 1 record by"), "{page}");
    let undo = page
        .split("action=\"/person-changes/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let back = app
        .post_form(
            &format!("/person-changes/{undo}"),
            &officer,
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.page(&jayden, &officer).await;
    assert_eq!(
        hidden(&page, "record").len(),
        records.len(),
        "every record is back"
    );

    // The same through the API: split one record off, merge it back by hand, undo the merge.
    let post = |path: String, body: serde_json::Value| {
        let request = app
            .client
            .post(app.url(&path))
            .header(COOKIE, &officer)
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (status, response.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, split) = post(
        format!("/api/v1{jayden}/split"),
        serde_json::json!({ "records": [records[0]], "reason": "checking the API" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{split}");
    let other = split["person"].as_str().unwrap().to_owned();
    let (status, refused) = post(
        format!("/api/v1{jayden}/merge"),
        serde_json::json!({ "other": other, "reason": "" }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(refused["error"]["field"], "reason");
    let (status, merged) = post(
        format!("/api/v1{jayden}/merge"),
        serde_json::json!({ "other": other, "reason": "the same child after all" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    let (_, page) = app.page(&jayden, &officer).await;
    assert_eq!(hidden(&page, "record").len(), records.len());
    assert!(page.contains("Merge of 1 record by"), "{page}");

    // Without the form token, nothing changes.
    let refused = app
        .post_form(
            &format!("{jayden}/split"),
            &officer,
            &[("reason", "no token"), ("record", &records[0])],
        )
        .await;
    assert_ne!(refused.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn alerts_reach_the_right_queue_and_are_acted_on_and_replayed() {
    let app = spawn_app().await;
    let now = app.clock.now();
    let rules = harbour_rules::RuleSet::builtin().unwrap();
    let run = app
        .store
        .run_rules(
            &app.county.tenant,
            &rules,
            harbour_store::RunScope::All,
            now.date(),
            now,
        )
        .await
        .unwrap();
    assert!(run.alerts_raised >= 2, "{run:?}");

    // Jayden turned 17½ on 14 November with his MACE case open and no transition plan: the
    // social worker's home page lists it.
    let social = app.sign_in(Role::SocialWorker, "la").await;
    let (status, home) = app.page("/", &social).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        home.contains("Aged 17½ with an open exploitation concern"),
        "{home}"
    );
    let id = alert_ids(&home).into_iter().next().unwrap();
    let (status, alert) = app.page(&format!("/alerts/{id}"), &social).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        alert.contains("Referred to the MACE panel"),
        "the evidence the social worker may see: {alert}"
    );
    assert!(
        alert.contains("recommendation 4"),
        "the rule's source: {alert}"
    );

    // A school's lead is not told, and cannot open it.
    let dsl = app.sign_in(Role::SchoolDsl, "northgate").await;
    let (_, dsl_home) = app.page("/", &dsl).await;
    assert!(!dsl_home.contains("Aged 17½"), "{dsl_home}");
    let (status, _) = app.page(&format!("/alerts/{id}"), &dsl).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Acknowledge; actioning needs a note.
    let token = app.form_token(&social).await;
    let path = format!("/alerts/{id}");
    let ack = app
        .post_form(
            &path,
            &social,
            &[("csrf_token", &token), ("action", "acknowledge")],
        )
        .await;
    assert_eq!(ack.status(), StatusCode::SEE_OTHER);
    let short = app
        .post_form(
            &path,
            &social,
            &[
                ("csrf_token", &token),
                ("action", "actioned"),
                ("note", "ok"),
            ],
        )
        .await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let done = app
        .post_form(
            &path,
            &social,
            &[
                ("csrf_token", &token),
                ("action", "actioned"),
                ("note", "Transition plan meeting booked with adult services"),
            ],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let (_, alert) = app.page(&path, &social).await;
    assert!(
        alert.contains("actioned: Transition plan meeting booked"),
        "{alert}"
    );
    // The alert's history: raised by Harbour for the social worker's role, then acknowledged
    // and actioned by a named person, in that order, for everyone who works the queue.
    let history = alert
        .split("id=\"alert-history\"")
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .unwrap();
    let raised = history.find("Raised for the Social worker").unwrap();
    let acknowledged = history.find("Acknowledged").unwrap();
    let actioned = history.find("Actioned").unwrap();
    assert!(
        raised < acknowledged && acknowledged < actioned,
        "{history}"
    );
    assert!(history.contains("Harbour"), "{history}");
    let no_token = app
        .post_form(&path, &social, &[("action", "acknowledge")])
        .await;
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);

    // The API gives the same queue.
    let police = app.sign_in(Role::PoliceMaceCoordinator, "police").await;
    let (status, queue) = app.json("/api/v1/alerts", &police).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        queue
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["rule"] == "transition-to-adulthood"),
        "{queue}"
    );

    // Replay: every alert on its day, with who would have been told.
    let (status, replay) = app
        .page(&format!("/people/{}/replay", app.jayden()), &social)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(replay.contains("When would we have known?"), "{replay}");
    assert!(
        replay.contains("Several critical moments within a year"),
        "{replay}"
    );
    assert!(
        replay.contains("20 May 2022"),
        "the first compound alert, four years before the stabbing: {replay}"
    );
}

/// The feed API reads rows through the one row parser: a row naming a column twice is refused
/// (not silently last-wins), and the optional `handling` field is checked like the CSV column.
#[tokio::test]
async fn the_feed_api_refuses_a_repeated_column_and_checks_handling() {
    use harbour_auth::token;
    let app = spawn_app().await;
    let police = app
        .county
        .agencies
        .iter()
        .find(|a| a.code == "police")
        .unwrap()
        .id;
    let secret = token::new_token(token::API_TOKEN_PREFIX).unwrap();
    app.store
        .create_api_token(
            &app.county.tenant,
            police,
            "nightly export",
            &token::hash_token("api", &secret),
            app.clock.now(),
        )
        .await
        .unwrap();
    let bearer = format!("Bearer {secret}");
    let post = |body: String| {
        app.client
            .post(app.url("/api/v1/feeds/police"))
            .header(reqwest::header::AUTHORIZATION, &bearer)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
    };
    let twice = r#"{"rows": [{"record_key": "PN901", "family_name": "Stone", "family_name": "Other",
        "event_key": "PN901-1", "type": "missing", "date": "2026-10-01"}]}"#;
    let refused = post(twice.to_owned()).await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let said = refused.text().await.unwrap();
    assert!(
        said.contains("\\\"family_name\\\" more than once"),
        "{said}"
    );
    let row = |key: &str, handling: &str| {
        serde_json::json!({ "record_key": "PN901", "family_name": "Stone", "event_key": key,
                            "type": "missing", "date": "2026-10-01", "handling": handling })
    };
    let body =
        serde_json::json!({ "rows": [row("PN901-1", "restricted"), row("PN901-2", "secret")] });
    let response = post(body.to_string()).await.unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let report: serde_json::Value = response.json().await.unwrap();
    assert_eq!(report["accepted"], 1, "{report}");
    assert_eq!(report["rejections"][0]["field"], "handling", "{report}");
}

/// Issue 14, point 6: the queue says which child. The home queue and the alert page name the
/// child with their age and school (from what the viewer may see); the queue sorts and
/// filters by child; the API gives the same.
#[tokio::test]
async fn the_queue_names_each_child_with_age_and_school_and_filters_by_child() {
    let app = spawn_app().await;
    let now = app.clock.now();
    let rules = harbour_rules::RuleSet::builtin().unwrap();
    app.store
        .run_rules(
            &app.county.tenant,
            &rules,
            harbour_store::RunScope::All,
            now.date(),
            now,
        )
        .await
        .unwrap();
    let social = app.sign_in(Role::SocialWorker, "la").await;
    let (status, home) = app.page("/", &social).await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("Jayden Mercer"), "{home}");
    assert!(home.contains("aged 17"), "{home}");
    assert!(home.contains("Harbourshire Pupil Referral Unit"), "{home}");
    assert!(home.contains("<th scope=\"col\">Child</th>"), "{home}");

    let (_, filtered) = app.page("/?child=mercer", &social).await;
    assert!(filtered.contains("Jayden Mercer"), "{filtered}");
    let (_, none) = app.page("/?child=nobody-by-this-name", &social).await;
    assert!(alert_ids(&none).is_empty(), "{none}");
    assert!(none.contains("No alerts for a child named"), "{none}");
    let (status, sorted) = app.page("/?sort=child", &social).await;
    assert_eq!(status, StatusCode::OK);
    assert!(sorted.contains("Jayden Mercer"), "{sorted}");

    let id = alert_ids(&home).into_iter().next().unwrap();
    let (_, alert) = app.page(&format!("/alerts/{id}"), &social).await;
    assert!(alert.contains("Jayden Mercer"), "{alert}");
    assert!(alert.contains("aged 17"), "{alert}");

    let (status, queue) = app.json("/api/v1/alerts", &social).await;
    assert_eq!(status, StatusCode::OK);
    let first = &queue.as_array().unwrap()[0];
    assert_eq!(first["child"]["date_of_birth"], "2009-05-14", "{first}");
    assert!(
        first["child"]["name"].as_str().unwrap().contains("Mercer"),
        "{first}"
    );
}

/// Issue 14, point 20: on the demo's day every demo account whose role a rule tells (or an
/// overdue alert escalates to) finds real work in its queue after the rules run.
#[tokio::test]
async fn every_demo_role_that_works_a_queue_has_work_on_the_demo_day() {
    let app = spawn_app().await;
    let now = app.clock.now();
    let rules = harbour_rules::RuleSet::builtin().unwrap();
    app.store
        .run_rules(
            &app.county.tenant,
            &rules,
            harbour_store::RunScope::All,
            now.date(),
            now,
        )
        .await
        .unwrap();
    let mut empty = Vec::new();
    for (agency, role) in [
        ("northgate", Role::SchoolDsl),
        ("seaview", Role::SchoolDsl),
        ("la", Role::LaInclusionOfficer),
        ("la", Role::LaCmeEheOfficer),
        ("la", Role::SocialWorker),
        ("police", Role::PoliceMaceCoordinator),
        ("yjs", Role::YouthJusticeWorker),
        ("la", Role::MaceChair),
    ] {
        let cookie = app.sign_in(role, agency).await;
        let (status, queue) = app.json("/api/v1/alerts", &cookie).await;
        assert_eq!(status, StatusCode::OK);
        if queue.as_array().unwrap().is_empty() {
            empty.push(format!("{role} at {agency}"));
        }
    }
    assert!(empty.is_empty(), "empty queues: {empty:?}");
}

/// Issue 14, point 21: low-severity absence does not fill the queue one child at a time. It
/// goes to the lead's list, which the home page shows as one row (how many children, and a
/// link); the list page and the API (`?list=true`) give the children.
#[tokio::test]
async fn low_severity_absence_goes_to_a_list_not_the_queue() {
    let app = spawn_app().await;
    let now = app.clock.now();
    let rules = harbour_rules::RuleSet::builtin().unwrap();
    app.store
        .run_rules(
            &app.county.tenant,
            &rules,
            harbour_store::RunScope::All,
            now.date(),
            now,
        )
        .await
        .unwrap();
    let dsl = app.sign_in(Role::SchoolDsl, "seaview").await;
    let (_, queue) = app.json("/api/v1/alerts", &dsl).await;
    assert!(
        !queue.as_array().unwrap().is_empty()
            && queue
                .as_array()
                .unwrap()
                .iter()
                .all(|a| a["severity"] != "low"),
        "{queue}"
    );
    let (_, list) = app.json("/api/v1/alerts?list=true", &dsl).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|a| a["rule"] == "persistent-absence"),
        "{list}"
    );
    let (_, home) = app.page("/", &dsl).await;
    assert!(home.contains("href=\"/alerts/list\""), "{home}");
    assert!(home.contains("1 child on your list"), "{home}");
    let (status, page) = app.page("/alerts/list", &dsl).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Amelia Hart"), "{page}");
}

/// The first open alert on `cookie`'s home page, after a rules run.
async fn first_alert(app: &common::App, cookie: &str) -> String {
    let now = app.clock.now();
    let rules = harbour_rules::RuleSet::builtin().unwrap();
    app.store
        .run_rules(
            &app.county.tenant,
            &rules,
            harbour_store::RunScope::All,
            now.date(),
            now,
        )
        .await
        .unwrap();
    let (_, home) = app.page("/", cookie).await;
    alert_ids(&home).into_iter().next().unwrap()
}

#[tokio::test]
async fn acting_on_an_alert_without_a_note_shows_the_form_again_with_the_error() {
    let app = spawn_app().await;
    let social = app.sign_in(Role::SocialWorker, "la").await;
    let id = first_alert(&app, &social).await;
    let token = app.form_token(&social).await;
    let path = format!("/alerts/{id}");
    for (action, words) in [
        ("dismiss", "Say why this is not a concern"),
        ("actioned", "Say what was done"),
    ] {
        let response = app
            .post_form(
                &path,
                &social,
                &[
                    ("csrf_token", &token),
                    ("action", action),
                    ("note", "ok <b>"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = response.text().await.unwrap();
        // The same page, signed in, with the navigation: no dead end.
        assert!(!page.contains("Go to the home page"), "{page}");
        assert!(page.contains("header__user-name"), "{page}");
        assert!(page.contains("<title>Error: "), "{page}");
        // A GOV.UK error summary linking to the field, the field marked, the input kept.
        assert!(page.contains("There is a problem"), "{page}");
        assert!(page.contains("href=\"#alert-note\""), "{page}");
        assert!(page.contains(words), "{action}: {page}");
        assert!(page.contains("class=\"error-message\""), "{page}");
        assert!(page.contains("input--error"), "{page}");
        assert!(page.contains(">ok &#60;b&#62;</textarea>"), "{page}");
        assert!(
            page.contains(&format!("value=\"{action}\" checked")),
            "the chosen action kept: {page}"
        );
    }
}

/// What a re-shown form must have: the same page, signed in, with the navigation, a GOV.UK
/// error summary linking to `field`, the field's own error message and border.
fn assert_form_shown_again(page: &str, field: &str, words: &str) {
    assert!(!page.contains("Go to the home page"), "{page}");
    assert!(page.contains("header__user-name"), "{page}");
    assert!(page.contains("service-nav"), "{page}");
    assert!(page.contains("<title>Error: "), "{page}");
    assert!(page.contains("There is a problem"), "{page}");
    assert!(page.contains(&format!("href=\"#{field}\"")), "{page}");
    assert!(page.contains(&format!("id=\"{field}\"")), "{page}");
    assert!(page.contains(words), "{page}");
    assert!(page.contains("class=\"error-message\""), "{page}");
    assert!(page.contains("form-group--error"), "{page}");
}

#[tokio::test]
async fn split_merge_and_same_child_forms_show_their_errors_on_the_form() {
    let app = spawn_app().await;
    let officer = app.sign_in(Role::LaInclusionOfficer, "la").await;
    let token = app.form_token(&officer).await;
    let jayden = format!("/people/{}", app.jayden());
    let (_, page) = app.page(&jayden, &officer).await;
    let records = hidden(&page, "record");

    // Split with no reason: the ticked record stays ticked, the reason field is marked.
    let response = app
        .post_form(
            &format!("{jayden}/split"),
            &officer,
            &[
                ("csrf_token", &token),
                ("record", &records[0]),
                ("reason", " "),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert_form_shown_again(
        &page,
        "split-reason",
        "Say why the ticked records belong to a different child",
    );
    assert!(
        page.contains(&format!(
            "value=\"{}\" id=\"split-{}\" checked",
            records[0], records[0]
        )),
        "{page}"
    );

    // Split with nothing ticked: the reason typed is kept.
    let response = app
        .post_form(
            &format!("{jayden}/split"),
            &officer,
            &[
                ("csrf_token", &token),
                ("reason", "a cousin's health record"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    let first = format!("split-{}", records[0]);
    assert_form_shown_again(
        &page,
        &first,
        "Tick the records that belong to a different child",
    );
    assert!(
        page.contains("value=\"a cousin&#39;s health record\""),
        "{page}"
    );

    // Merge with no reason: the other child's address typed is kept.
    let other = format!("http://harbour.example{jayden}");
    let response = app
        .post_form(
            &format!("{jayden}/merge"),
            &officer,
            &[("csrf_token", &token), ("other", &other), ("reason", "")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert_form_shown_again(&page, "merge-reason", "Say why they are the same child");
    assert!(page.contains(&format!("value=\"{other}\"")), "{page}");

    // Merge with an address that is not a child's.
    let response = app
        .post_form(
            &format!("{jayden}/merge"),
            &officer,
            &[
                ("csrf_token", &token),
                ("other", "not a page"),
                ("reason", "the same child"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert_form_shown_again(&page, "merge-other", "Enter the address of the other child");
    assert!(page.contains("value=\"the same child\""), "{page}");

    // The same-child decision with no choice made: the queue again, the note kept. (Relinked
    // so that nothing links by itself (a match probability above 1): every pair waits for review.)
    let settings = harbour_link::Settings {
        match_probability: 2.0,
        review_probability: 0.000_001,
        ..harbour_link::Settings::default()
    };
    let report = app
        .store
        .relink(&app.county.tenant, &settings, app.clock.now())
        .await
        .unwrap();
    let (_, queue) = app.page("/identity-review", &officer).await;
    let pair = queue
        .split("action=\"/identity-review/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no pair to review: {report:?} {queue}"))
        .to_owned();
    let response = app
        .post_form(
            &format!("/identity-review/{pair}"),
            &officer,
            &[
                ("csrf_token", &token),
                ("note", "same school, same address"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert_form_shown_again(
        &page,
        &format!("decision-{pair}"),
        "Choose whether the records are the same child or different children",
    );
    assert!(
        page.contains("value=\"same school, same address\""),
        "{page}"
    );
}

/// Issue 14, point 16: a same-child decision about a pair a colleague decided meanwhile (with
/// or without a choice made) says plainly that the pair was already decided, by whom, and
/// links back to the queue; it never points at a field that is not on the page.
#[tokio::test]
async fn a_decision_about_a_pair_a_colleague_already_decided_says_so() {
    let app = spawn_app().await;
    let settings = harbour_link::Settings {
        match_probability: 2.0,
        review_probability: 0.000_001,
        ..harbour_link::Settings::default()
    };
    app.store
        .relink(&app.county.tenant, &settings, app.clock.now())
        .await
        .unwrap();
    let officer = app.sign_in(Role::LaInclusionOfficer, "la").await;
    let colleague = app.sign_in(Role::LaCmeEheOfficer, "la").await;
    let token = app.form_token(&officer).await;
    let colleague_token = app.form_token(&colleague).await;
    let (_, queue) = app.page("/identity-review", &officer).await;
    let pair = queue
        .split("action=\"/identity-review/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no pair to review: {queue}"))
        .to_owned();
    let path = format!("/identity-review/{pair}");
    let decided = app
        .post_form(
            &path,
            &colleague,
            &[("csrf_token", &colleague_token), ("decision", "different")],
        )
        .await;
    assert_eq!(decided.status(), StatusCode::SEE_OTHER);
    let colleague_name = app
        .county
        .users
        .iter()
        .find(|u| u.roles.contains(&Role::LaCmeEheOfficer))
        .unwrap()
        .display_name
        .clone();

    for form in [
        vec![("csrf_token", token.as_str()), ("decision", "same")],
        vec![("csrf_token", token.as_str()), ("note", "same school")],
    ] {
        let response = app.post_form(&path, &officer, &form).await;
        assert_eq!(response.status(), StatusCode::CONFLICT, "{form:?}");
        let page = response.text().await.unwrap();
        assert!(page.contains("header__user-name"), "{page}");
        assert!(!page.contains("Go to the home page"), "{page}");
        assert!(
            page.contains("This pair has already been decided"),
            "{page}"
        );
        assert!(
            page.contains(&format!(
                "{colleague_name} decided they are different children"
            )),
            "{page}"
        );
        assert!(page.contains("Nothing you sent was saved"), "{page}");
        assert!(page.contains("href=\"/identity-review\""), "{page}");
        // No error summary pointing at the decided pair's form, which is not on the page.
        assert!(
            !page.contains(&format!("href=\"#decision-{pair}\"")),
            "{page}"
        );
        assert!(!page.contains(&format!("action=\"{path}\"")), "{page}");
    }
}

#[tokio::test]
async fn saving_an_action_on_an_alert_confirms_it_with_a_banner() {
    let app = spawn_app().await;
    let social = app.sign_in(Role::SocialWorker, "la").await;
    let id = first_alert(&app, &social).await;
    let token = app.form_token(&social).await;
    let path = format!("/alerts/{id}");
    let saved = app
        .post_form(
            &path,
            &social,
            &[("csrf_token", &token), ("action", "acknowledge")],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let location = saved.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("{path}?saved=acknowledged"));
    let (status, page) = app.page(&location, &social).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("notification-banner--success"), "{page}");
    assert!(page.contains("Alert acknowledged"), "{page}");
    // Only the closed list of statuses is shown: anything else is ignored, never echoed.
    for query in ["saved=%3Cscript%3E", "saved=open", "saved="] {
        let (status, page) = app.page(&format!("{path}?{query}"), &social).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!page.contains("notification-banner"), "{query}: {page}");
        assert!(!page.contains("<script>"), "{query}");
    }
    let (_, page) = app.page(&path, &social).await;
    assert!(!page.contains("notification-banner"), "{page}");
}

#[tokio::test]
async fn the_queue_says_when_another_recipient_has_acted_on_an_alert() {
    let app = spawn_app().await;
    let social = app.sign_in(Role::SocialWorker, "la").await;
    let id = first_alert(&app, &social).await;
    // A second social worker in the same team shares the queue.
    let first = app
        .county
        .users
        .iter()
        .find(|u| u.roles.contains(&Role::SocialWorker))
        .unwrap()
        .clone();
    let colleague = harbour_store::NewUser {
        id: harbour_domain::UserId::new_v7(),
        email: "grace.adeyemi@la.example".to_owned(),
        display_name: "Grace Adeyemi".to_owned(),
        ..first.clone()
    };
    app.store
        .create_user(&colleague, app.clock.now())
        .await
        .unwrap();
    let response = app
        .client
        .post(app.url("/sign-in"))
        .form(&[("user_id", colleague.id.to_string())])
        .send()
        .await
        .unwrap();
    let grace = common::App::cookie_of(&response);
    let token = app.form_token(&grace).await;
    let saved = app
        .post_form(
            &format!("/alerts/{id}"),
            &grace,
            &[("csrf_token", &token), ("action", "acknowledge")],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);

    // The first social worker's queue says who acknowledged it, and when.
    let (_, home) = app.page("/", &social).await;
    let row = home
        .split(&format!("href=\"/alerts/{id}\""))
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .unwrap();
    assert!(
        row.contains("Acknowledged by Grace Adeyemi, 20 Nov"),
        "{row}"
    );
    // Grace's own queue does not tell her what she did herself.
    let (_, home) = app.page("/", &grace).await;
    assert!(!home.contains("Acknowledged by Grace Adeyemi"), "{home}");
}

#[tokio::test]
async fn closed_alerts_have_a_history_page_reached_from_home() {
    let app = spawn_app().await;
    let social = app.sign_in(Role::SocialWorker, "la").await;
    let id = first_alert(&app, &social).await;
    let (status, closed) = app.page("/alerts/closed", &social).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        closed.contains("No alerts in your queue have been closed"),
        "{closed}"
    );
    let token = app.form_token(&social).await;
    let saved = app
        .post_form(
            &format!("/alerts/{id}"),
            &social,
            &[
                ("csrf_token", &token),
                ("action", "dismiss"),
                ("note", "Already known to the MACE panel"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);

    // Gone from the queue, on the closed list with who closed it, reached from home.
    let (_, home) = app.page("/", &social).await;
    assert!(!home.contains(&format!("href=\"/alerts/{id}\"")), "{home}");
    assert!(home.contains("href=\"/alerts/closed\""), "{home}");
    let (status, closed) = app.page("/alerts/closed", &social).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        closed.contains(&format!("href=\"/alerts/{id}\"")),
        "{closed}"
    );
    assert!(closed.contains("Dismissed by "), "{closed}");
    assert!(closed.contains("Jayden Mercer"), "{closed}");

    // A school's lead, whose queue never had it, does not see it.
    let dsl = app.sign_in(Role::SchoolDsl, "northgate").await;
    let (status, closed) = app.page("/alerts/closed", &dsl).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !closed.contains(&format!("href=\"/alerts/{id}\"")),
        "{closed}"
    );
}

/// The ids of the alerts a page links to, in order (not its links to the list or the closed
/// alerts).
/// Issue 16 point 7: an alert on a register clock (the demo child's second spell missing
/// education, from 3 July 2024, never traced) reaches the CME officer's queue, and its page
/// links to the register entry, its evidence, instead of an agency's event.
#[tokio::test]
async fn an_alert_on_a_register_clock_links_to_its_register_entry() {
    let app = spawn_app().await;
    let now = app.clock.now();
    let tenant = &app.county.tenant;
    app.store
        .open_not_in_school_entries(tenant, now)
        .await
        .unwrap();
    let rules = harbour_rules::RuleSet::builtin().unwrap();
    // As of 1 October 2024, so that the clock (run out in September) is recent enough to
    // raise rather than be history.
    app.store
        .run_rules(
            tenant,
            &rules,
            harbour_store::RunScope::All,
            time::macros::date!(2024 - 10 - 01),
            now,
        )
        .await
        .unwrap();
    let officer = app.sign_in(Role::LaCmeEheOfficer, "la").await;
    let (status, home) = app.page("/", &officer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        home.contains("Child missing education not traced in time"),
        "{home}"
    );
    let mut found = None;
    for id in alert_ids(&home) {
        let (_, page) = app.page(&format!("/alerts/{id}"), &officer).await;
        if page.contains("Child missing education not traced in time") {
            found = Some(page);
        }
    }
    let page = found.unwrap();
    assert!(
        page.contains("href=\"/children-not-in-school/missing-education/"),
        "{page}"
    );
    assert!(page.contains("open the register entry"), "{page}");
    assert!(
        !page.contains("None of the evidence events is open to your role"),
        "{page}"
    );

    // Replay shows the clock on the day it ran out, with the alert on it.
    let replay = page
        .split("href=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|href| href.ends_with("/replay"))
        .unwrap()
        .to_owned();
    let (status, replayed) = app.page(&replay, &officer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        replayed.contains("Child missing education not traced in time (due"),
        "{replayed}"
    );
    assert!(
        replayed.contains("(Local authority register)"),
        "{replayed}"
    );
}

fn alert_ids(page: &str) -> Vec<String> {
    page.split("href=\"/alerts/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|id| id.parse::<uuid::Uuid>().is_ok())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_audit_reads_in_plain_words_and_london_time() {
    let app = spawn_app().await;
    let dsl = app.sign_in(Role::SchoolDsl, "northgate").await;
    app.page("/people?q=mercer", &dsl).await;
    app.page(&format!("/people/{}", app.jayden()), &dsl).await;
    let dpo = app.sign_in(Role::DataProtectionOfficer, "la").await;
    let (status, history) = app
        .page(&format!("/audit/people/{}", app.jayden()), &dpo)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(history.contains("Viewed a child"), "{history}");
    assert!(history.contains("Searched for a child"), "{history}");
    assert!(!history.contains("view person"), "no raw codes: {history}");
    // The fixed clock is 20 November 2026 09:00 UTC: Greenwich Mean Time in London.
    assert!(
        history.contains("20 November 2026 09:00:00 GMT"),
        "{history}"
    );
    assert!(!history.contains(" UTC"), "{history}");
    // The child by name, for the reviewer; details as words, not JSON.
    assert!(history.contains("Jayden Mercer"), "{history}");
    assert!(!history.contains("{&quot;"), "no raw JSON: {history}");
    assert!(!history.contains("{\""), "no raw JSON: {history}");
}

#[tokio::test]
async fn search_gives_the_true_total_pages_and_filters_by_birth() {
    let app = spawn_app().await;
    let sw = app.sign_in(Role::SocialWorker, "la").await;
    // The API: a page of one, the total in a header.
    let first = app.get("/api/v1/people?q=er&limit=1", &sw).await;
    assert_eq!(first.status(), StatusCode::OK);
    let total: usize = first.headers()["x-total-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let first: serde_json::Value = first.json().await.unwrap();
    assert!(total >= 2, "{first}");
    assert_eq!(first.as_array().unwrap().len(), 1);
    let (status, second) = app.json("/api/v1/people?q=er&limit=1&offset=1", &sw).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(first[0]["id"], second[0]["id"]);
    // The page: the total, and each child's age.
    let (status, page) = app.page("/people?q=er", &sw).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("{total} children found")), "{page}");
    assert!(page.contains(">Age<"), "{page}");
    // By date of birth (GOV.UK date input) and by age.
    let (_, jayden) = app.json("/api/v1/people?q=jayden%20mercer", &sw).await;
    let dob: Vec<String> = jayden[0]["date_of_birth"]
        .as_str()
        .unwrap()
        .split('-')
        .map(|p| p.trim_start_matches('0').to_owned())
        .collect();
    let (year, month, day) = (&dob[0], &dob[1], &dob[2]);
    let (status, found) = app
        .page(
            &format!("/people?q=mercer&dob-day={day}&dob-month={month}&dob-year={year}"),
            &sw,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(found.contains("1 child found"), "{found}");
    let other_year = year.parse::<i32>().unwrap() + 1;
    let (_, none) = app
        .page(
            &format!("/people?q=mercer&dob-day={day}&dob-month={month}&dob-year={other_year}"),
            &sw,
        )
        .await;
    assert!(none.contains("No children found"), "{none}");
    let (status, bad) = app
        .page("/people?q=mercer&dob-day=31&dob-month=2&dob-year=2012", &sw)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    let (status, aged) = app.page("/people?q=mercer&age=200", &sw).await;
    assert_eq!(status, StatusCode::OK);
    assert!(aged.contains("No children found"), "{aged}");
}

/// Issue 14, point 17: search by the child's current school (page and API), each result
/// naming it; the viewer's scope applies to the filter and the total.
#[tokio::test]
async fn search_filters_by_current_school_and_shows_it() {
    let app = spawn_app().await;
    let sw = app.sign_in(Role::SocialWorker, "la").await;
    let (status, page) = app.page("/people?q=mercer", &sw).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(">Current school<"), "{page}");
    assert!(page.contains("Harbourshire Pupil Referral Unit"), "{page}");
    // The filter offers the local authority's schools.
    assert!(page.contains("<select"), "{page}");
    assert!(page.contains("value=\"seaview\""), "{page}");

    let (status, at_pru) = app.page("/people?q=mercer&school=pru", &sw).await;
    assert_eq!(status, StatusCode::OK);
    assert!(at_pru.contains("1 child found"), "{at_pru}");
    assert!(at_pru.contains("value=\"pru\" selected"), "kept: {at_pru}");
    let (_, at_northgate) = app.page("/people?q=mercer&school=northgate", &sw).await;
    assert!(at_northgate.contains("No children found"), "{at_northgate}");
    let (status, unknown) = app.page("/people?q=mercer&school=nowhere", &sw).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(unknown.contains("href=\"#school\""), "{unknown}");

    // The API: the same filter, the school in each result, the total in the header.
    let response = app.get("/api/v1/people?q=mercer&school=pru", &sw).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-total-count"], "1");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body[0]["school"], "Harbourshire Pupil Referral Unit",
        "{body}"
    );
    let response = app
        .get("/api/v1/people?q=mercer&school=northgate", &sw)
        .await;
    assert_eq!(response.headers()["x-total-count"], "0");
    let (status, refused) = app
        .json("/api/v1/people?q=mercer&school=nowhere", &sw)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(refused["error"]["field"], "school", "{refused}");

    // Scope: Northgate's lead never knew Amelia Hart, so Seaview's filter finds nobody for
    // them, and the total says so too.
    let dsl = app.sign_in(Role::SchoolDsl, "northgate").await;
    let response = app.get("/api/v1/people?q=hart&school=seaview", &dsl).await;
    assert_eq!(response.headers()["x-total-count"], "0");
    let (_, seen) = app.page("/people?q=hart&school=seaview", &sw).await;
    assert!(seen.contains("Amelia Hart"), "{seen}");
}

/// Issue 14, point 22: the audit pages come in pages, with the total and previous and next
/// links, as search does.
#[tokio::test]
async fn the_audit_pages_are_paged_with_a_total() {
    let app = spawn_app().await;
    let sw = app.sign_in(Role::SocialWorker, "la").await;
    let jayden = app.jayden();
    for _ in 0..55 {
        assert_eq!(
            app.page(&format!("/people/{jayden}"), &sw).await.0,
            StatusCode::OK
        );
    }
    let dsl = app.sign_in(Role::SchoolDsl, "northgate").await;
    for _ in 0..55 {
        assert_eq!(app.page("/audit", &dsl).await.0, StatusCode::FORBIDDEN);
    }
    let dpo = app.sign_in(Role::DataProtectionOfficer, "la").await;
    for path in [
        format!("/audit/people/{jayden}"),
        "/audit/refused".to_owned(),
    ] {
        let (status, first) = app.page(&path, &dpo).await;
        assert_eq!(status, StatusCode::OK);
        let total: usize = first
            .split(" entries in all")
            .next()
            .and_then(|before| before.rsplit('>').next())
            .and_then(|n| n.trim().replace(',', "").parse().ok())
            .unwrap_or_else(|| panic!("no total on {path}: {first}"));
        assert!(total >= 55, "{path}: {total}");
        assert_eq!(
            first.matches("<tr>").count() - 1,
            50,
            "a page of 50: {path}"
        );
        assert!(
            first.contains(&format!("href=\"{path}?page=2\" rel=\"next\"")),
            "{first}"
        );
        assert!(!first.contains("rel=\"prev\""), "{first}");
        let (status, second) = app.page(&format!("{path}?page=2"), &dpo).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            second.contains(&format!("href=\"{path}?page=1\" rel=\"prev\"")),
            "{second}"
        );
        assert!(second.contains("aria-current=\"page\">2<"), "{second}");
        // The entries of the second page are not those of the first.
        let entry = |page: &str| {
            page.split("Entry ")
                .nth(1)
                .and_then(|rest| rest.split('<').next())
                .unwrap()
                .to_owned()
        };
        assert_ne!(entry(&first), entry(&second));
        let (status, _) = app.page(&format!("{path}?page=0"), &dpo).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
    }
}

/// Issue 14, point 22: a replay on the web is credited to the member of staff who ran it in
/// the data-protection officer's review of that child (the command line's `--by` does the
/// same there).
#[tokio::test]
async fn the_audit_credits_a_replay_to_who_ran_it() {
    let app = spawn_app().await;
    let sw = app.sign_in(Role::SocialWorker, "la").await;
    let jayden = app.jayden();
    let (status, _) = app.page(&format!("/people/{jayden}/replay"), &sw).await;
    assert_eq!(status, StatusCode::OK);
    let dpo = app.sign_in(Role::DataProtectionOfficer, "la").await;
    let (_, audit) = app.page(&format!("/audit/people/{jayden}"), &dpo).await;
    let row = audit
        .split("<tr>")
        .find(|row| row.contains("Replayed the rules for a child"))
        .unwrap_or_else(|| panic!("no replay in {audit}"));
    assert!(row.contains("Grace Adeyemi"), "{row}");
    assert!(!row.contains("Harbour (system"), "{row}");
}

#[tokio::test]
async fn the_navigation_marks_the_current_page() {
    let app = spawn_app().await;
    let dpo = app.sign_in(Role::DataProtectionOfficer, "la").await;
    let (_, page) = app.page("/audit/refused", &dpo).await;
    assert!(
        page.contains(r#"<a href="/audit" aria-current="page">"#),
        "{page}"
    );
    assert_eq!(page.matches(r#"aria-current="page""#).count(), 1, "{page}");
}

/// Issue 16, point 2: "My work" lists each role's open tasks, from alerts and from the
/// registers it keeps, with the due date in school days where the law counts them; a task
/// is given to a colleague who may work it (the form and the API), and refused otherwise
/// with the reason.
/// The children not in school register's clocks are in the CME and EHE officer's queue, each
/// row linking to the entry where the task is done.
#[tokio::test]
async fn my_work_lists_the_children_not_in_school_tasks_for_the_cme_and_ehe_officer() {
    let app = spawn_app().await;
    let now = app.clock.now();
    let tenant = &app.county.tenant;
    app.store
        .open_not_in_school_entries(tenant, now)
        .await
        .unwrap();
    let officer = app.sign_in(Role::LaCmeEheOfficer, "la").await;
    let (status, tasks) = app.json("/api/v1/tasks", &officer).await;
    assert_eq!(status, StatusCode::OK);
    let tasks = tasks.as_array().unwrap().clone();
    let tracing = tasks
        .iter()
        .find(|t| t["what"] == "Trace a child missing education")
        .unwrap_or_else(|| panic!("{tasks:?}"));
    assert_eq!(tracing["workflow"], "missing_education_register");
    assert_eq!(tracing["child"], "Jayden Mercer");
    let link = tracing["link"].as_str().unwrap();
    assert!(
        link.starts_with("/children-not-in-school/missing-education/"),
        "{link}"
    );
    let (status, _) = app.page(link, &officer).await;
    assert_eq!(status, StatusCode::OK, "the row's link opens the episode");
    assert!(
        tasks
            .iter()
            .any(|t| t["workflow"] == "home_education_register"
                && t["link"]
                    .as_str()
                    .unwrap()
                    .starts_with("/children-not-in-school/home-education/")),
        "{tasks:?}"
    );
    let (_, page) = app.page("/work", &officer).await;
    assert!(page.contains("Children missing education"), "{page}");
    assert!(page.contains("Trace a child missing education"), "{page}");
}

#[tokio::test]
async fn my_work_lists_each_roles_tasks_and_assigns_them_to_colleagues_who_may_work_them() {
    let app = spawn_app().await;
    let now = app.clock.now();
    let rules = harbour_rules::RuleSet::builtin().unwrap();
    let tenant = &app.county.tenant;
    app.store
        .run_rules(
            tenant,
            &rules,
            harbour_store::RunScope::All,
            now.date(),
            now,
        )
        .await
        .unwrap();
    app.store.open_exclusion_entries(tenant, now).await.unwrap();

    // The inclusion officer: the register's clocks, the child named, in school days.
    let officer = app.sign_in(Role::LaInclusionOfficer, "la").await;
    let (status, page) = app.page("/work", &officer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("<h1 class=\"heading-xl\">My work</h1>"),
        "{page}"
    );
    assert!(
        page.contains("href=\"/work\""),
        "the navigation has My work"
    );
    assert!(
        page.contains("Arrange full-time education from day 6"),
        "{page}"
    );
    assert!(page.contains("Jayden Mercer"), "{page}");
    assert!(page.contains(&format!("href=\"/people/{}\"", app.jayden())));
    assert!(page.contains("school days overdue"), "{page}");
    assert!(page.contains("href=\"/registers/exclusions/"), "{page}");
    assert!(page.contains("Escalated"), "{page}");
    assert!(page.contains("Nobody yet"), "{page}");

    let (status, tasks) = app.json("/api/v1/tasks", &officer).await;
    assert_eq!(status, StatusCode::OK);
    let tasks = tasks.as_array().unwrap().clone();
    let provision = tasks
        .iter()
        .find(|t| t["what"] == "Arrange full-time education from day 6")
        .unwrap()
        .clone();
    assert_eq!(provision["workflow"], "exclusions_register");
    assert_eq!(provision["child"], "Jayden Mercer");
    assert!(provision["school_days_left"].as_i64().unwrap() < 0);
    assert_eq!(provision["overdue"], true);
    assert_eq!(provision["owner"], serde_json::Value::Null);
    let record = provision["record"].as_str().unwrap().to_owned();
    let (status, bad) = app.json("/api/v1/tasks?show=everything", &officer).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");

    // A window of the queue: the total in the header, each task in one window only, in the
    // queue's order; a limit out of range is refused naming it.
    assert!(tasks.len() >= 2, "{tasks:?}");
    let mut windowed = Vec::new();
    for offset in 0..tasks.len() + 1 {
        let response = app
            .get(&format!("/api/v1/tasks?limit=1&offset={offset}"), &officer)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["x-total-count"].to_str().unwrap(),
            tasks.len().to_string()
        );
        let window: Vec<serde_json::Value> = response.json().await.unwrap();
        assert!(window.len() <= 1);
        windowed.extend(window);
    }
    assert_eq!(
        windowed, tasks,
        "the windows, one after another, are the queue"
    );
    let (status, bad) = app.json("/api/v1/tasks?limit=501", &officer).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["error"]["field"], "limit", "{bad}");
    // A page past the end says so and leads back; a page that is not a number is refused.
    let (status, page) = app.page("/work?page=9", &officer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("There are no tasks on page 9"), "{page}");
    assert!(page.contains("href=\"/work?show=all\""), "{page}");
    let (status, _) = app.page("/work?page=0", &officer).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The social worker: alerts only; the MACE chair: the register's overdue tasks,
    // escalated to them, without the child's name; the police: their own queue only.
    let social = app.sign_in(Role::SocialWorker, "la").await;
    let (_, theirs) = app.json("/api/v1/tasks", &social).await;
    let theirs = theirs.as_array().unwrap().clone();
    assert!(!theirs.is_empty());
    assert!(
        theirs.iter().all(|t| t["workflow"] == "alert"),
        "{theirs:?}"
    );
    assert!(
        theirs
            .iter()
            .all(|t| t["link"].as_str().unwrap().starts_with("/alerts/"))
    );
    let chair = app.sign_in(Role::MaceChair, "la").await;
    let (_, escalated) = app.json("/api/v1/tasks", &chair).await;
    let register: Vec<&serde_json::Value> = escalated
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["workflow"] == "exclusions_register")
        .collect();
    assert!(!register.is_empty(), "{escalated}");
    assert!(register.iter().all(|t| t["escalated"] == true
        && t["child"].is_null()
        && t["link"].is_null()
        && t["assignable"].as_array().unwrap().is_empty()));
    let (_, page) = app.page("/work", &chair).await;
    assert!(page.contains("Not shown to your role"), "{page}");
    assert!(page.contains("Not yours to give"), "{page}");
    assert!(
        page.contains("follow it up with the person responsible"),
        "{page}"
    );

    // Giving the entry away: not to a social worker (the reason is shown), not without the
    // form's token; to a colleague who keeps the register, yes.
    let token = app.form_token(&officer).await;
    let social_id = app.user_id(Role::SocialWorker, "la");
    let officer_id = app.user_id(Role::LaInclusionOfficer, "la");
    let form = |token: &str, assignee: &str| {
        vec![
            ("csrf_token", token.to_owned()),
            ("workflow", "exclusions_register".to_owned()),
            ("record", record.clone()),
            ("assignee", assignee.to_owned()),
            ("show", "all".to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let cookie = officer.clone();
        let app = &app;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form("/work/assign", &cookie, &fields).await
        }
    };
    let refused = post(form(&token, &social_id)).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = refused.text().await.unwrap();
    assert!(body.contains("There is a problem"), "{body}");
    assert!(
        body.contains("Grace Adeyemi cannot work this task: their role does not keep the permanent exclusions register"),
        "{body}"
    );
    let forged = post(form("0000", &officer_id)).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let done = post(form(&token, &officer_id)).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        done.headers()["location"].to_str().unwrap(),
        "/work?show=all&page=1&assigned=1"
    );
    let (_, page) = app.page("/work?show=all&page=1&assigned=1", &officer).await;
    assert!(page.contains("Task assigned"), "{page}");
    let (_, mine) = app.json("/api/v1/tasks?show=mine", &officer).await;
    let mine = mine.as_array().unwrap();
    assert!(!mine.is_empty());
    assert!(
        mine.iter()
            .all(|t| t["record"] == record.as_str() && t["owner"]["name"] == "Priya Shah")
    );
    let (_, unassigned) = app.json("/api/v1/tasks?show=unassigned", &officer).await;
    assert!(
        unassigned
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["record"] != record.as_str())
    );

    // The API: the social worker may not give the register's entry away; their alert not to
    // the police, who do not work that queue; to themselves, yes.
    let assign = |cookie: String, body: serde_json::Value| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/v1/tasks/assign"))
                .header(reqwest::header::COOKIE, cookie)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let response = assign(
        social.clone(),
        serde_json::json!({"workflow": "exclusions_register", "record": record, "assignee": social_id}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let alert = theirs[0]["record"].as_str().unwrap().to_owned();
    let police_id = app.user_id(Role::PoliceMaceCoordinator, "police");
    let response = assign(
        social.clone(),
        serde_json::json!({"workflow": "alert", "record": alert, "assignee": police_id}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body.to_string().contains("the alert is not in their queue"),
        "{body}"
    );
    let response = assign(
        social.clone(),
        serde_json::json!({"workflow": "transfer", "record": alert, "assignee": social_id}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = assign(
        social.clone(),
        serde_json::json!({"workflow": "alert", "record": alert, "assignee": social_id}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (_, mine) = app.json("/api/v1/tasks?show=mine", &social).await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine[0]["owner"]["name"], "Grace Adeyemi");
}

#[tokio::test]
async fn the_cme_officer_traces_a_missing_child_step_by_step() {
    let app = spawn_app().await;
    let opened = app
        .store
        .open_not_in_school_entries(&app.county.tenant, app.clock.now())
        .await
        .unwrap();
    assert!(opened.missing_education > 0 && opened.home_education > 0);
    let officer = app.sign_in(Role::LaCmeEheOfficer, "la").await;
    let (status, list) = app.page("/children-not-in-school", &officer).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(list.contains("Elective home education"), "{list}");
    assert!(list.contains("Children missing education"), "{list}");
    assert!(list.contains("Maisie Doyle-Khan"), "{list}");
    assert!(list.contains("Median days missing"), "{list}");
    // The last of Jayden's spells (July 2024): his first was ended in the authority's feed.
    let episode = list
        .split("href=\"/children-not-in-school/missing-education/")
        .skip(1)
        .last()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let path = format!("/children-not-in-school/missing-education/{episode}");
    let (status, page) = app.page(&path, &officer).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Tracing checklist"), "{page}");
    assert!(page.contains("Home Office asked"), "{page}");

    // A step without what it found is shown again with the error on the field.
    let token = app.form_token(&officer).await;
    let on = app.clock.now().date().to_string();
    let response = app
        .post_form(
            &path,
            &officer,
            &[
                ("csrf_token", &token),
                ("action", "step"),
                ("step", "family_contacted"),
                ("on", &on),
                ("outcome", " "),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert_form_shown_again(&page, "outcome", "Enter what the step found");
    // What was typed is kept: the step chosen and its date.
    assert!(
        page.contains("value=\"family_contacted\" selected"),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "id=\"on\" name=\"on\" type=\"date\" value=\"{on}\""
        )),
        "{page}"
    );
    // A closure without a date names the closing form's date field, and keeps the school.
    let response = app
        .post_form(
            &path,
            &officer,
            &[
                ("csrf_token", &token),
                ("action", "close"),
                ("reason", "found_on_roll"),
                ("school", "Carrow High"),
                ("on", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert_form_shown_again(&page, "close-on", "");
    assert!(page.contains("value=\"Carrow High\""), "{page}");
    assert!(page.contains("value=\"found_on_roll\" selected"), "{page}");
    let response = app
        .post_form(
            &path,
            &officer,
            &[
                ("csrf_token", &token),
                ("action", "step"),
                ("step", "family_contacted"),
                ("on", &on),
                ("outcome", "Mother says they moved to Leeds"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.page(&path, &officer).await;
    assert!(page.contains("Mother says they moved to Leeds"), "{page}");
    assert!(page.contains("Tom Reilly"), "{page}");

    // A school's lead sees no home education; the police see no register.
    let dsl = app.sign_in(Role::SchoolDsl, "northgate").await;
    let (status, theirs) = app.page("/children-not-in-school", &dsl).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!theirs.contains("Elective home education"), "{theirs}");
    assert!(!theirs.contains("Maisie"), "{theirs}");
    let (status, _) = app.page(&path, &dsl).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the LA's episode is not Northgate's"
    );
    let police = app.sign_in(Role::PoliceMaceCoordinator, "police").await;
    let (status, _) = app.page("/children-not-in-school", &police).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        !app.page("/", &police)
            .await
            .1
            .contains("Children not in school")
    );
}

/// The fair-access view: the inclusion officer sees every school's share beside the county's
/// (the demo's schools in their areas); a bad date names its field; no other role sees it.
#[tokio::test]
async fn the_fair_access_view_is_for_the_inclusion_officers() {
    let app = spawn_app().await;
    let officer = app.sign_in(Role::LaInclusionOfficer, "la").await;
    let (status, page) = app.page("/fair-access", &officer).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("<h1 class=\"heading-xl\">Fair access</h1>"),
        "{page}"
    );
    assert!(
        page.contains("href=\"/fair-access\""),
        "the navigation has it"
    );
    assert!(page.contains("Northgate Academy"), "{page}");
    assert!(page.contains("North Harbourshire"), "{page}");
    assert!(page.contains("County rate per 1,000 pupils"), "{page}");
    let (status, view) = app
        .json(
            "/api/v1/fair-access?from=2026-09-01&to=2026-11-20",
            &officer,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["from"], "2026-09-01");
    assert!(
        view["schools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["label"] == "Seaview School")
    );
    assert_eq!(view["county"]["key"], "county");
    let (status, bad) = app
        .json("/api/v1/fair-access?from=1/9/2026", &officer)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert_eq!(bad["error"]["field"], "from", "{bad}");
    for (role, agency) in [
        (Role::SchoolDsl, "northgate"),
        (Role::LaCmeEheOfficer, "la"),
        (Role::SocialWorker, "la"),
        (Role::PoliceMaceCoordinator, "police"),
    ] {
        let cookie = app.sign_in(role, agency).await;
        let (status, _) = app.json("/api/v1/fair-access", &cookie).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
        let (status, page) = app.page("/fair-access", &cookie).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
        assert!(
            !page.contains("href=\"/fair-access\""),
            "{role}: not in the navigation"
        );
    }
}

/// The children not in school register as JSON: the CME and EHE officer gets both parts with
/// the figures; a school's lead only the episodes its own roll deletions opened; the police
/// none.
#[tokio::test]
async fn the_children_not_in_school_api_gives_each_role_its_part() {
    let app = spawn_app().await;
    app.store
        .open_not_in_school_entries(&app.county.tenant, app.clock.now())
        .await
        .unwrap();
    let officer = app.sign_in(Role::LaCmeEheOfficer, "la").await;
    let (status, register) = app
        .json("/api/v1/registers/children-not-in-school", &officer)
        .await;
    assert_eq!(status, StatusCode::OK, "{register}");
    assert_eq!(register["home_education_access"], "keep");
    let home = register["home_education"].as_array().unwrap();
    assert!(
        home.iter().any(|e| e["child"] == "Maisie Doyle-Khan"),
        "{register}"
    );
    let missing = register["missing_education"].as_array().unwrap();
    // Jayden's two spells: the first ended in the authority's feed, the second still open.
    let jayden: Vec<&serde_json::Value> = missing
        .iter()
        .filter(|e| e["child"] == "Jayden Mercer")
        .collect();
    assert_eq!(jayden.len(), 2, "{register}");
    assert_eq!(jayden[0]["open"], false);
    assert_eq!(jayden[0]["traced_on"], "2021-12-01");
    assert_eq!(jayden[1]["open"], true);
    assert!(!jayden[1]["steps_left"].as_array().unwrap().is_empty());
    assert!(
        register["figures"]["missing_education"].as_u64().is_some(),
        "{register}"
    );

    let dsl = app.sign_in(Role::SchoolDsl, "northgate").await;
    let (status, theirs) = app
        .json("/api/v1/registers/children-not-in-school", &dsl)
        .await;
    assert_eq!(status, StatusCode::OK, "{theirs}");
    assert_eq!(theirs["home_education_access"], serde_json::Value::Null);
    assert!(theirs["home_education"].as_array().unwrap().is_empty());
    assert_eq!(theirs["missing_education_access"], "own_agency");
    let police = app.sign_in(Role::PoliceMaceCoordinator, "police").await;
    let (status, _) = app
        .json("/api/v1/registers/children-not-in-school", &police)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// The fair-access log kept in Harbour, as the inclusion officer uses it: a decision with a
/// field wrong is refused naming it and keeps what was typed; a decision recorded is in the
/// log awaiting the school, whose answer is then recorded from the log.
#[tokio::test]
async fn the_panel_clerk_records_a_decision_and_the_schools_answer() {
    let app = spawn_app().await;
    let officer = app.sign_in(Role::LaInclusionOfficer, "la").await;
    let (status, form) = app.page("/fair-access/new", &officer).await;
    assert_eq!(status, StatusCode::OK);
    let seaview = form
        .split("<option value=\"")
        .skip(2)
        .find(|o| o.contains("Seaview School"))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let token = app.form_token(&officer).await;
    let jayden = app.jayden();
    let today = app.clock.now().date();
    let typed_today = format!(
        "{}/{}/{}",
        today.day(),
        u8::from(today.month()),
        today.year()
    );
    let response = app
        .post_form(
            "/fair-access/new",
            &officer,
            &[
                ("csrf_token", &token),
                ("person", &jayden),
                ("on", &typed_today),
                ("school", &seaview),
                ("reason", ""),
                ("response", "pending"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("href=\"#new-reason\""), "{body}");
    assert!(body.contains(&jayden), "the child is kept");
    let response = app
        .post_form(
            "/fair-access/new",
            &officer,
            &[
                ("csrf_token", &token),
                ("person", &jayden),
                ("on", &typed_today),
                ("school", &seaview),
                ("reason", "Moved into the area in Year 10"),
                ("response", "pending"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.page("/fair-access?saved=decision", &officer).await;
    assert!(page.contains("Decision recorded"), "{page}");
    assert!(page.contains("Moved into the area in Year 10"), "{page}");
    let answer = page
        .split("href=\"/fair-access/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|link| link.ends_with("/answer"))
        .unwrap()
        .to_owned();
    let answer = format!("/fair-access/{answer}");
    let response = app
        .post_form(
            &answer,
            &officer,
            &[("csrf_token", &token), ("on", &typed_today)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("#answer-response"));
    let response = app
        .post_form(
            &answer,
            &officer,
            &[
                ("csrf_token", &token),
                ("on", &typed_today),
                ("response", "accepted"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, api) = app.json("/api/v1/fair-access", &officer).await;
    let kept: Vec<&serde_json::Value> = api["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !d["id"].is_null())
        .collect();
    assert_eq!(kept.len(), 1, "{api}");
    assert_eq!(kept[0]["response"], "accepted");
}
