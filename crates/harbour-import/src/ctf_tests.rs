use super::*;
use time::macros::date;

const TODAY: Date = date!(2026 - 09 - 01);

fn ctf(pupils: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<CTfile>
  <Header>
    <DocumentName>Common Transfer File</DocumentName>
    <CTFversion>25.0</CTFversion>
    <DateTime>2026-07-20T10:00:00</DateTime>
    <DocumentQualifier>full</DocumentQualifier>
    <SourceSchool><LEA>999</LEA><Estab>4125</Estab><SchoolName>Northgate Academy</SchoolName><AcademicYear>2025</AcademicYear></SourceSchool>
    <DestSchool><LEA>XXX</LEA><Estab>XXXX</Estab></DestSchool>
  </Header>
  <CTFpupilData>{pupils}</CTFpupilData>
</CTfile>"#
    )
}

const JAYDEN: &str = r#"
    <Pupil>
      <UPN>R201100018042</UPN>
      <Surname>Mercer</Surname>
      <Forename>Jayden</Forename>
      <DOB>2009-05-14</DOB>
      <Sex>M</Sex>
      <BasicDetails><EnrolStatus>C</EnrolStatus></BasicDetails>
      <Address><AddressLines><AddressLine1>1 Any Street</AddressLine1></AddressLines><PostCode>BN7 2LD</PostCode></Address>
      <Attendance>
        <YearData><Year>2021</Year><LEA>999</LEA><Estab>4125</Estab><SchoolName>Northgate Academy</SchoolName><SessionsPossible>380</SessionsPossible><SessionsAttended>270</SessionsAttended></YearData>
      </Attendance>
      <SchoolHistory>
        <School><LEA>999</LEA><Estab>4125</Estab><SchoolName>Northgate &amp; District Academy</SchoolName><EntryDate>2020-09-03</EntryDate><LeavingDate>2023-01-23</LeavingDate><LeavingReason>Permanent exclusion</LeavingReason></School>
      </SchoolHistory>
    </Pupil>"#;

/// Each pupil's rows, or why it was refused.
type Pupils = Vec<Result<Vec<ImportRow>, Box<QuarantineRow>>>;

fn read_all(xml: &str) -> Result<Pupils, CtfError> {
    let mut reader = CtfReader::new(xml.as_bytes(), TODAY);
    let mut pupils = Vec::new();
    loop {
        match reader.next_pupil()? {
            Next::Pupil(pupil) => pupils.push(pupil),
            Next::End => return Ok(pupils),
        }
    }
}

#[test]
fn a_pupil_becomes_an_identity_and_school_history_and_attendance_events() {
    let pupils = read_all(&ctf(JAYDEN)).unwrap();
    let rows = pupils[0].as_ref().unwrap();
    assert_eq!(rows.len(), 3);
    let identity = &rows[0].identity;
    assert_eq!(identity.upn.as_ref().unwrap().as_str(), "R201100018042");
    assert_eq!(
        (identity.given_name.as_str(), identity.family_name.as_str()),
        ("Jayden", "Mercer")
    );
    assert_eq!(identity.postcode.as_ref().unwrap().as_str(), "BN7 2LD");
    let kinds: Vec<_> = rows.iter().map(|r| r.event.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::SchoolEnrolment,
            EventKind::SchoolLeaving,
            EventKind::AttendanceSummary
        ]
    );
    assert!(
        rows[0]
            .event
            .summary
            .contains("Northgate & District Academy"),
        "entities resolved"
    );
    assert!(rows[1].event.summary.contains("Permanent exclusion"));
    assert_eq!(rows[2].event.occurred_on, date!(2022 - 07 - 31));
    assert!(
        rows[2].event.summary.contains("71.1%"),
        "{}",
        rows[2].event.summary
    );
    // The same file gives the same event keys: re-sending it changes nothing.
    let again = read_all(&ctf(JAYDEN)).unwrap();
    assert_eq!(
        again[0].as_ref().unwrap()[0].event.event_key,
        rows[0].event.event_key
    );
}

#[test]
fn a_bad_pupil_is_refused_alone_with_the_field_named() {
    let bad = JAYDEN.replace("R201100018042", "Q207000016049");
    let pupils = read_all(&ctf(&format!("{bad}{JAYDEN}"))).unwrap();
    let refused = pupils[0].as_ref().unwrap_err();
    assert_eq!(refused.field, "UPN");
    assert!(refused.reason.contains("check letter should be P"));
    assert!(pupils[1].is_ok(), "the next pupil still counts");
    let unborn = JAYDEN.replace("2009-05-14", "2027-01-01");
    assert_eq!(
        read_all(&ctf(&unborn)).unwrap()[0]
            .as_ref()
            .unwrap_err()
            .field,
        "DOB"
    );
}

#[test]
fn hostile_and_broken_files_are_refused_safely() {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<CTfile><CTFpupilData><Pupil><Surname>&lol2;</Surname></Pupil></CTFpupilData></CTfile>"#;
    assert_eq!(read_all(laughs).unwrap_err(), CtfError::Dtd);
    let external = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><CTfile>&xxe;</CTfile>"#;
    assert_eq!(read_all(external).unwrap_err(), CtfError::Dtd);
    let undeclared = ctf(&JAYDEN.replace("Mercer", "Mer&foo;cer"));
    assert!(matches!(read_all(&undeclared), Err(CtfError::Xml { .. })));
    assert!(
        matches!(read_all("<Pupils></Pupils>"), Err(CtfError::NotCtf(name)) if name == "Pupils")
    );
    assert!(read_all("").is_err());

    // Cut off part-way through the second pupil: the file does not parse to its end, so it
    // is an error for the whole file, naming the line where it stops.
    let whole = ctf(&format!("{JAYDEN}{JAYDEN}"));
    let cut = &whole[..whole.len() - 400];
    let lines = cut.lines().count() as u64;
    match read_all(cut) {
        Err(CtfError::Truncated { line, .. } | CtfError::Xml { line, .. }) => {
            assert_eq!(line, lines, "the last line of the cut file");
        }
        other => panic!("a truncated file must be an error for the file: {other:?}"),
    }
    // Cut between elements: the elements left open are named.
    let between = &whole[..whole.rfind("</Pupil>").unwrap()];
    assert!(
        matches!(read_all(between), Err(CtfError::Truncated { ref element, line }) if element == "Pupil" && line == between.lines().count() as u64),
        "{:?}",
        read_all(between)
    );
    // Cut inside a tag: also an error for the file, with its line.
    let in_tag = &whole[..whole.find("<Surname>").unwrap() + 4];
    assert!(
        matches!(read_all(in_tag), Err(CtfError::Xml { line, .. } | CtfError::Truncated { line, .. }) if line == in_tag.lines().count() as u64),
        "{:?}",
        read_all(in_tag)
    );
    assert!(check(cut.as_bytes(), TODAY).is_err());
    assert_eq!(check(whole.as_bytes(), TODAY), Ok(2));
}

#[test]
fn a_refused_pupil_records_the_line_of_its_pupil_element() {
    let bad = JAYDEN.replace("R201100018042", "Q207000016049");
    let xml = ctf(&format!("{JAYDEN}{bad}"));
    let pupils = read_all(&xml).unwrap();
    let refused = pupils[1].as_ref().unwrap_err();
    let second_pupil_line = xml
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "<Pupil>")
        .nth(1)
        .map(|(i, _)| i as u64 + 1)
        .unwrap();
    assert_eq!(refused.line, second_pupil_line, "a line, not a byte offset");
}

#[test]
fn the_leaving_reason_and_year_group_reach_the_leaving_event_as_fields() {
    let pupil = JAYDEN.replace(
        "<EnrolStatus>C</EnrolStatus>",
        "<EnrolStatus>C</EnrolStatus><NCyearActual>9</NCyearActual>",
    );
    let rows = read_all(&ctf(&pupil)).unwrap().remove(0).unwrap();
    let leaving = &rows[1].event;
    assert_eq!(leaving.kind, EventKind::SchoolLeaving);
    assert_eq!(leaving.details["destination"], "permanent_exclusion");
    assert_eq!(leaving.details["year_group"], 9);
    // The year group is the pupil's when the file was written: not carried back to joining.
    assert!(rows[0].event.details.get("year_group").is_none());
    // A leaving reason that names no destination stays as text, as before.
    let moved = pupil.replace("Permanent exclusion", "Family moved house");
    let rows = read_all(&ctf(&moved)).unwrap().remove(0).unwrap();
    assert!(rows[1].event.details.get("destination").is_none());
    assert_eq!(rows[1].event.details["reason"], "Family moved house");
    // A year group that is not a curriculum year refuses the pupil, naming the element.
    let bad = pupil.replace("<NCyearActual>9<", "<NCyearActual>Year 9<");
    let refused = read_all(&ctf(&bad)).unwrap().remove(0).unwrap_err();
    assert_eq!(refused.field, "NCyearActual", "{refused:?}");
    assert!(
        refused.reason.contains("national curriculum year"),
        "{refused:?}"
    );
}

#[test]
fn history_at_other_schools_is_reported_about_them_and_the_senders_own_is_not() {
    let earlier = r#"<School><LEA>999</LEA><Estab>2001</Estab><SchoolName>Ashdown Primary</SchoolName><EntryDate>2014-09-03</EntryDate><LeavingDate>2020-07-20</LeavingDate></School>
      </SchoolHistory>"#;
    let year = r#"<YearData><Year>2019</Year><LEA>999</LEA><Estab>2001</Estab><SessionsPossible>380</SessionsPossible><SessionsAttended>370</SessionsAttended></YearData>
      </Attendance>"#;
    let pupil = JAYDEN
        .replace("</SchoolHistory>", earlier)
        .replace("</Attendance>", year);
    let pupils = read_all(&ctf(&pupil)).unwrap();
    let about: Vec<(EventKind, Option<String>)> = pupils[0]
        .as_ref()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.event.kind,
                r.event.about_school.as_ref().map(ToString::to_string),
            )
        })
        .collect();
    let ashdown = Some("999/2001".to_owned());
    assert_eq!(
        about,
        [
            (EventKind::SchoolEnrolment, None),
            (EventKind::SchoolLeaving, None),
            (EventKind::SchoolEnrolment, ashdown.clone()),
            (EventKind::SchoolLeaving, ashdown.clone()),
            (EventKind::AttendanceSummary, None),
            (EventKind::AttendanceSummary, ashdown),
        ]
    );
    // A file that does not name its sender: every entry is read as the sender's own.
    let anonymous = ctf(&pupil)
        .replace("<SourceSchool>", "<Other>")
        .replace("</SourceSchool>", "</Other>");
    let rows = read_all(&anonymous).unwrap();
    assert!(
        rows[0]
            .as_ref()
            .unwrap()
            .iter()
            .all(|r| r.event.about_school.is_none())
    );
}
