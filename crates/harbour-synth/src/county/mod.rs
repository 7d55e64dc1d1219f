//! The synthetic county: `harbour synth --children N --seed S --out DIR`.
//!
//! Deterministic for a seed. Every child is simulated from its own random stream and written
//! at once, so memory does not grow with the number of children. Each agency's feed shows
//! that agency's own view of each person, with realistic noise; `truth.csv` says which real
//! (synthetic) person is behind every record and is never imported.

pub mod casework;
mod life;
mod names;
mod pathway;
pub mod registers_truth;
mod rng;
mod school_days;
mod sim;

use harbour_domain::feeds::Feed;
use harbour_domain::{AgencyKind, Upn};
use life::{Event, Person, Risk, Supplier, View};
use registers_truth::RegistersTruth;
use rng::Rng;
use serde::Serialize;
use sim::Schools;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use time::{Date, Duration, Month};

pub use sim::{FIRST_YEAR, LAST_YEAR};

/// Mixed into the seed for each child's second random stream (the feeds' optional details).
const DETAILS_STREAM: u64 = 0x6465_7461_696c_7321;
/// Mixed into the seed for each child's third stream (what the education registers need).
const REGISTERS_STREAM: u64 = 0x7265_6769_7374_6572;
/// Mixed into the seed for each child's fourth stream (what officers record by hand).
const CASEWORK_STREAM: u64 = 0x6361_7365_776f_726b;

/// An event's optional detail column `column`, or empty.
fn detail<'e>(event: &'e Event, column: &str) -> &'e str {
    event
        .details
        .iter()
        .find(|(c, _)| *c == column)
        .map_or("", |(_, v)| v.as_str())
}

/// The local-authority code the synthetic county uses (not a real authority).
pub const TENANT: &str = "999";

#[derive(Debug, Clone)]
pub struct Config {
    pub children: u64,
    pub seed: u64,
    /// The day the data is taken; events after it are not written.
    pub as_of: Date,
}

impl Config {
    pub fn new(children: u64, seed: u64) -> Self {
        Self {
            children,
            seed,
            as_of: Date::from_calendar_date(2026, Month::August, 31).unwrap_or(Date::MIN),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error("{0} already exists and is not empty; choose a new --out directory")]
    NotEmpty(PathBuf),
}

/// What was generated, and the rates it came to (for the README and the tests).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub children: u64,
    pub adults: u64,
    pub trajectories: u64,
    pub source_records: u64,
    pub events: u64,
    pub rows_by_feed: BTreeMap<String, u64>,
    pub pupil_periods: u64,
    pub pupil_periods_persistently_absent: u64,
    pub pupil_periods_severely_absent: u64,
    pub suspensions: u64,
    pub permanent_exclusions: u64,
    pub ehe_starts: u64,
    pub cme_starts: u64,
    pub ap_placements: u64,
    pub fair_access_decisions: u64,
    pub children_referred_to_social_care: u64,
}

// The manifest's layout is the importer's as much as ours: it lives beside the feed layouts.
pub use harbour_domain::feeds::{Manifest, ManifestAgency, ManifestFeed};

/// The columns of `identities.csv`: every source record's identity as its agency holds it, in
/// the format `harbour link dedupe` reads, with the true person as `cluster`. It is for
/// measuring linkage (here and against other tools), never for import.
pub const IDENTITY_COLUMNS: [&str; 9] = [
    "id",
    "given_name",
    "family_name",
    "dob",
    "sex",
    "postcode",
    "upn",
    "nhs_number",
    "cluster",
];

struct Writers {
    dir: PathBuf,
    feeds: BTreeMap<(Supplier, Feed), csv::Writer<BufWriter<File>>>,
    keys: BTreeMap<(Supplier, u64), u32>,
    truth: csv::Writer<BufWriter<File>>,
    truth_path: PathBuf,
    identities: csv::Writer<BufWriter<File>>,
    identities_path: PathBuf,
    /// Each school's Common Transfer File, open while pupils are appended.
    ctf: BTreeMap<Supplier, BufWriter<File>>,
    /// The current child's joining and leaving events, by school, written as one CTF pupil
    /// when the child is done: (school, joined, date, destination on leaving).
    roll: Vec<(Supplier, bool, Date, String)>,
    /// The academic year the current child started reception, for the CTF's `NCyearActual`.
    reception: i32,
    /// The day the data is taken.
    as_of: Date,
    schools: Schools,
    summary: Summary,
}

impl Writers {
    fn feed_path(&self, supplier: Supplier, feed: Feed) -> PathBuf {
        self.dir.join("feeds").join(supplier.code()).join(format!(
            "{}.{}",
            feed.as_str(),
            if feed.is_xml() { "xml" } else { "csv" }
        ))
    }

    fn write(
        &mut self,
        person: &Person,
        views: &mut BTreeMap<Supplier, View>,
        seed: u64,
        event: &Event,
    ) -> Result<Option<String>, SynthError> {
        let path = self.feed_path(event.supplier, event.feed);
        let view = views
            .entry(event.supplier)
            .or_insert_with(|| life::view(seed, person, event.supplier));
        if event.feed == Feed::SchoolRoll {
            // Schools send their roll as Common Transfer Files: kept until the child is done.
            let joined = event.columns.first().is_some_and(|t| t == "joined");
            let destination = detail(event, "destination").to_owned();
            self.roll
                .push((event.supplier, joined, event.date, destination));
            let first = self.keys.entry((event.supplier, person.id)).or_insert(0);
            let new_record = *first == 0;
            *first += 1;
            if new_record {
                let view = view.clone();
                self.register(person, &view, event.supplier)?;
            }
            self.count(event);
            return Ok(None);
        }
        if let std::collections::btree_map::Entry::Vacant(slot) =
            self.feeds.entry((event.supplier, event.feed))
        {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| SynthError::Io {
                    path: parent.to_owned(),
                    source,
                })?;
            }
            let file = File::create(&path).map_err(|source| SynthError::Io {
                path: path.clone(),
                source,
            })?;
            let mut writer = csv::Writer::from_writer(BufWriter::with_capacity(32 * 1024, file));
            writer
                .write_record(
                    event
                        .feed
                        .columns()
                        .iter()
                        .chain(event.feed.optional_columns()),
                )
                .map_err(|source| SynthError::Csv {
                    path: path.clone(),
                    source,
                })?;
            slot.insert(writer);
        }
        let counter = self.keys.entry((event.supplier, person.id)).or_insert(0);
        let new_record = *counter == 0;
        *counter += 1;
        let counter = *counter;
        if new_record {
            let view = view.clone();
            self.register(person, &view, event.supplier)?;
        }
        let view = views.get(&event.supplier).ok_or_else(|| SynthError::Io {
            path: path.clone(),
            source: std::io::Error::other("agency view missing"),
        })?;
        let event_key = format!("{}-{}", view.record_key, counter);
        let dob = view.dob.map(|d| d.to_string()).unwrap_or_default();
        let upn = view.upn.clone().unwrap_or_default();
        let nhs = view.nhs.clone().unwrap_or_default();
        let mut row: Vec<&str> = match event.feed {
            Feed::SchoolCtf
            | Feed::SchoolRoll
            | Feed::SchoolAttendance
            | Feed::SchoolExclusions
            | Feed::LaEducation => {
                vec![
                    &view.record_key,
                    &upn,
                    &view.given,
                    &view.family,
                    &dob,
                    view.sex,
                    &view.postcode,
                ]
            }
            Feed::Police => vec![
                &view.record_key,
                &view.given,
                &view.family,
                &view.alias,
                &dob,
                view.sex,
                &view.postcode,
            ],
            Feed::SocialCare | Feed::Health => vec![
                &view.record_key,
                &nhs,
                &view.given,
                &view.family,
                &dob,
                view.sex,
                &view.postcode,
            ],
            Feed::YouthJustice => vec![
                &view.record_key,
                &view.given,
                &view.family,
                &dob,
                view.sex,
                &view.postcode,
            ],
        };
        row.push(&event_key);
        row.extend(event.columns.iter().map(String::as_str));
        for column in event.feed.optional_columns() {
            row.push(match *column {
                "handling" => event.handling,
                other => detail(event, other),
            });
        }
        let writer = self
            .feeds
            .get_mut(&(event.supplier, event.feed))
            .ok_or_else(|| SynthError::Io {
                path: path.clone(),
                source: std::io::Error::other("feed writer missing"),
            })?;
        writer
            .write_record(&row)
            .map_err(|source| SynthError::Csv { path, source })?;
        self.summary.events += 1;
        *self
            .summary
            .rows_by_feed
            .entry(event.feed.as_str().to_owned())
            .or_default() += 1;
        self.count(event);
        Ok(Some(event_key))
    }

    /// Writes the finished child's school history to each school's Common Transfer File: one
    /// `<Pupil>` per school, one `<School>` per stint (joining date, and leaving date if they
    /// left). Names and addresses are as that school holds them.
    fn flush_roll(&mut self, views: &BTreeMap<Supplier, View>) -> Result<(), SynthError> {
        let mut roll = std::mem::take(&mut self.roll);
        // In date order (joining before leaving on the same day), so each leaving closes the
        // stint it belongs to.
        roll.sort_by_key(|(school, joined, date, _)| (*school, *date, !*joined));
        // Each stint: joined, and left with the destination.
        type Stint = (Date, Option<(Date, String)>);
        let mut by_school: BTreeMap<Supplier, Vec<Stint>> = BTreeMap::new();
        for (school, joined, date, destination) in roll {
            let stints = by_school.entry(school).or_default();
            if joined {
                stints.push((date, None));
            } else if let Some(open) = stints.iter_mut().rev().find(|s| s.1.is_none()) {
                open.1 = Some((date, destination));
            } else {
                // On the roll before the history begins: the file says they joined then.
                stints.push((sim::history_start().min(date), Some((date, destination))));
            }
        }
        // Count what the files say, so the summary matches what an import reads.
        let written: u64 = by_school
            .values()
            .flatten()
            .map(|(_, leaving)| 1 + u64::from(leaving.is_some()))
            .sum();
        self.summary.events += written;
        *self
            .summary
            .rows_by_feed
            .entry(Feed::SchoolCtf.as_str().to_owned())
            .or_default() += written;
        for (school, stints) in by_school {
            let Some(view) = views.get(&school) else {
                continue;
            };
            let path = self.feed_path(school, Feed::SchoolCtf);
            let (name, _) = agency_name(school, self.schools);
            let estab = match school {
                Supplier::School(n) => format!("{:04}", 2000 + u32::from(n)),
                _ => "0000".into(),
            };
            let text = |value: &str| quick_xml::escape::escape(value).into_owned();
            // The year group when the school wrote the file: at the last leaving, or now for
            // a pupil still on its roll.
            let written = if stints.iter().any(|s| s.1.is_none()) {
                Some(self.as_of)
            } else {
                stints
                    .iter()
                    .filter_map(|s| s.1.as_ref().map(|l| l.0))
                    .max()
            };
            let year_group = written
                .map(|day| life::year_group_on(self.reception, day))
                .filter(|year| (0..=14).contains(year))
                .map(|year| match year {
                    0 => "<BasicDetails><NCyearActual>R</NCyearActual></BasicDetails>".to_owned(),
                    n => format!("<BasicDetails><NCyearActual>{n}</NCyearActual></BasicDetails>"),
                })
                .unwrap_or_default();
            let mut pupil = format!(
                "<Pupil><UPN>{}</UPN><Surname>{}</Surname><Forename>{}</Forename><DOB>{}</DOB><Sex>{}</Sex>\
                 {year_group}<Address><PostCode>{}</PostCode></Address><SchoolHistory>",
                text(view.upn.as_deref().unwrap_or("")),
                text(&view.family),
                text(&view.given),
                view.dob.map(|d| d.to_string()).unwrap_or_default(),
                view.sex,
                text(&view.postcode),
            );
            for (entry, leaving) in stints {
                pupil.push_str(&format!(
                    "<School><LEA>{TENANT}</LEA><Estab>{estab}</Estab><SchoolName>{}</SchoolName>\
                     <EntryDate>{entry}</EntryDate>{}</School>",
                    text(&name),
                    leaving
                        .map(|(d, destination)| if destination.is_empty() {
                            format!("<LeavingDate>{d}</LeavingDate>")
                        } else {
                            format!(
                                "<LeavingDate>{d}</LeavingDate><LeavingReason>{}</LeavingReason>",
                                text(&destination)
                            )
                        })
                        .unwrap_or_default()
                ));
            }
            pupil.push_str("</SchoolHistory></Pupil>\n");
            if let std::collections::btree_map::Entry::Vacant(slot) = self.ctf.entry(school) {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|source| SynthError::Io {
                        path: parent.to_owned(),
                        source,
                    })?;
                }
                let file = File::create(&path).map_err(|source| SynthError::Io {
                    path: path.clone(),
                    source,
                })?;
                let mut out = BufWriter::with_capacity(64 * 1024, file);
                let header = format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CTfile><Header>\
                     <DocumentName>Common Transfer File</DocumentName><CTFversion>25.0</CTFversion>\
                     <DocumentQualifier>full</DocumentQualifier><SourceSchool><LEA>{TENANT}</LEA>\
                     <Estab>{estab}</Estab><SchoolName>{}</SchoolName></SourceSchool></Header>\n<CTFpupilData>\n",
                    text(&name)
                );
                out.write_all(header.as_bytes())
                    .map_err(|source| SynthError::Io {
                        path: path.clone(),
                        source,
                    })?;
                slot.insert(out);
            }
            if let Some(out) = self.ctf.get_mut(&school) {
                out.write_all(pupil.as_bytes())
                    .map_err(|source| SynthError::Io { path, source })?;
            }
        }
        Ok(())
    }

    /// Records a new agency record in truth.csv and identities.csv.
    fn register(
        &mut self,
        person: &Person,
        view: &View,
        supplier: Supplier,
    ) -> Result<(), SynthError> {
        self.summary.source_records += 1;
        let kind = if person.is_child { "child" } else { "adult" };
        let harm = person.harm_date.map(|d| d.to_string()).unwrap_or_default();
        self.truth
            .write_record([
                supplier.code().as_str(),
                view.record_key.as_str(),
                &person.id.to_string(),
                kind,
                if person.trajectory { "1" } else { "0" },
                &harm,
            ])
            .map_err(|source| SynthError::Csv {
                path: self.truth_path.clone(),
                source,
            })?;
        self.identities
            .write_record([
                format!("{}/{}", supplier.code(), view.record_key).as_str(),
                &view.given,
                &view.family,
                &view.dob.map(|d| d.to_string()).unwrap_or_default(),
                view.sex,
                &view.postcode,
                view.upn.as_deref().unwrap_or(""),
                view.nhs.as_deref().unwrap_or(""),
                &person.id.to_string(),
            ])
            .map_err(|source| SynthError::Csv {
                path: self.identities_path.clone(),
                source,
            })?;
        Ok(())
    }

    fn count(&mut self, event: &Event) {
        let first = event.columns.first().map(String::as_str).unwrap_or("");
        match event.feed {
            Feed::SchoolAttendance => {
                self.summary.pupil_periods += 1;
                let possible: f64 = event
                    .columns
                    .get(2)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1.0);
                let attended: f64 = event
                    .columns
                    .get(3)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0.0);
                let absent = 1.0 - attended / possible.max(1.0);
                if absent >= 0.10 {
                    self.summary.pupil_periods_persistently_absent += 1;
                }
                if absent >= 0.50 {
                    self.summary.pupil_periods_severely_absent += 1;
                }
            }
            Feed::SchoolExclusions if first == "SUSP" => self.summary.suspensions += 1,
            Feed::SchoolExclusions if first == "PERM" => self.summary.permanent_exclusions += 1,
            Feed::LaEducation if first == "ehe_start" => self.summary.ehe_starts += 1,
            Feed::LaEducation if first == "cme_start" => self.summary.cme_starts += 1,
            Feed::LaEducation if first == "ap_placement" => self.summary.ap_placements += 1,
            Feed::LaEducation if first == "fair_access" => self.summary.fair_access_decisions += 1,
            Feed::SocialCare if first == "referral" => {
                self.summary.children_referred_to_social_care += 1
            }
            _ => {}
        }
    }
}

fn agency_name(supplier: Supplier, schools: Schools) -> (String, AgencyKind) {
    match supplier {
        Supplier::School(n) if n == schools.pru() => (
            "Synthetic County Pupil Referral Unit".into(),
            AgencyKind::School,
        ),
        Supplier::School(n) if n == schools.alternative_provision() => (
            "Synthetic County Alternative Provision Academy".into(),
            AgencyKind::School,
        ),
        Supplier::School(n) if n < schools.primaries => (
            format!("Primary School {n:03} (synthetic)"),
            AgencyKind::School,
        ),
        Supplier::School(n) => (
            format!("Secondary School {n:03} (synthetic)"),
            AgencyKind::School,
        ),
        Supplier::La => (
            "Synthetic County Council: education".into(),
            AgencyKind::LocalAuthority,
        ),
        Supplier::SocialCare => (
            "Synthetic County Council: children's social care".into(),
            AgencyKind::LocalAuthority,
        ),
        Supplier::Police => ("Synthetic Constabulary".into(), AgencyKind::Police),
        Supplier::Health => ("Synthetic NHS Trust".into(), AgencyKind::Health),
        Supplier::YouthJustice => (
            "Synthetic Youth Justice Service".into(),
            AgencyKind::YouthJustice,
        ),
    }
}

/// Generates the county into `out` (which must be empty or not yet exist). `progress` is
/// called after each child with the number done.
pub fn generate(
    config: &Config,
    out: &Path,
    mut progress: impl FnMut(u64),
) -> Result<Summary, SynthError> {
    if out.exists()
        && std::fs::read_dir(out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(SynthError::NotEmpty(out.to_owned()));
    }
    std::fs::create_dir_all(out).map_err(|source| SynthError::Io {
        path: out.to_owned(),
        source,
    })?;
    let truth_path = out.join("truth.csv");
    let truth_file = File::create(&truth_path).map_err(|source| SynthError::Io {
        path: truth_path.clone(),
        source,
    })?;
    let mut truth = csv::Writer::from_writer(BufWriter::new(truth_file));
    truth
        .write_record([
            "agency",
            "record_key",
            "person_id",
            "kind",
            "exploitation_trajectory",
            "serious_harm_date",
        ])
        .map_err(|source| SynthError::Csv {
            path: truth_path.clone(),
            source,
        })?;
    let identities_path = out.join("identities.csv");
    let identities_file = File::create(&identities_path).map_err(|source| SynthError::Io {
        path: identities_path.clone(),
        source,
    })?;
    let mut identities = csv::Writer::from_writer(BufWriter::new(identities_file));
    identities
        .write_record(IDENTITY_COLUMNS)
        .map_err(|source| SynthError::Csv {
            path: identities_path.clone(),
            source,
        })?;
    let mut writers = Writers {
        dir: out.to_owned(),
        feeds: BTreeMap::new(),
        keys: BTreeMap::new(),
        truth,
        truth_path,
        identities,
        identities_path,
        ctf: BTreeMap::new(),
        roll: Vec::new(),
        reception: 0,
        as_of: config.as_of,
        schools: Schools::for_children(config.children),
        summary: Summary::default(),
    };
    let schools = Schools::for_children(config.children);
    let mut registers_truth = RegistersTruth::new(config.as_of);
    let mut casework_file = casework::CaseworkFile {
        as_of: Some(config.as_of),
        cases: Vec::new(),
    };
    let oldest = config.as_of - Duration::days(18 * 365 + 4);
    let span = (config.as_of - oldest).whole_days();

    let mut twin_of: Option<Person> = None;
    for index in 0..config.children {
        let mut rng = Rng::new(config.seed, index);
        let mut person = match twin_of.take() {
            // Twins: same birthday, surname and address; a different given name.
            Some(sibling) => {
                let mut twin = life::new_person(&mut rng, index, sibling.dob, true);
                twin.family = sibling.family.clone();
                twin.postcode = sibling.postcode.clone();
                // Twins have different given names; draw again rather than invent a spelling
                // that would look like a typo of the sibling's name.
                let mut draws = 0;
                while twin.given == sibling.given && draws < 8 {
                    twin.given = life::new_person(&mut rng, index, sibling.dob, true).given;
                    draws += 1;
                }
                twin
            }
            None => {
                let dob = oldest + Duration::days(rng.between(0, span));
                life::new_person(&mut rng, index, dob, true)
            }
        };
        if rng.chance(0.015) {
            twin_of = Some(person.clone());
        }
        // LA, establishment, year of allocation, serial: establishment and serial come from
        // the child's number, so no two children share a UPN.
        let upn_body = format!(
            "{TENANT}{:04}{:02}{:03}",
            2000 + index / 1000,
            life::reception_year(person.dob).rem_euclid(100),
            index % 1000
        );
        person.upn = Upn::from_body(&upn_body).ok();
        let age = (config.as_of - person.dob).whole_days() / 365;
        let trajectory = age >= 14 && rng.chance(0.004);
        let risk = if trajectory || rng.chance(0.02) {
            Risk::High
        } else if rng.chance(0.12) {
            Risk::Medium
        } else {
            Risk::Low
        };
        // The details the feeds gained later come from a stream of their own, so that the
        // rest of each child's life is drawn exactly as before they were added.
        let mut details = Rng::new(config.seed ^ DETAILS_STREAM, index);
        let mut registers = Rng::new(config.seed ^ REGISTERS_STREAM, index);
        let events = if trajectory {
            writers.summary.trajectories += 1;
            sim::trajectory_events(&mut rng, &mut details, &mut person, schools, config.as_of)
        } else {
            sim::child_events(
                &mut rng,
                &mut details,
                &mut registers,
                &mut person,
                schools,
                risk,
                config.as_of,
            )
        };
        registers_truth.observe(person.id, &events);
        writers.reception = life::reception_year(person.dob);
        let mut views = BTreeMap::new();
        let mut keys = Vec::with_capacity(events.len());
        for event in &events {
            keys.push(writers.write(&person, &mut views, config.seed, event)?);
        }
        // What officers recorded on this child's register cases, from a stream of its own.
        let mut by_hand = Rng::new(config.seed ^ CASEWORK_STREAM, index);
        let afterwards = casework::Afterwards::of(
            &events,
            schools,
            life::terms(life::reception_year(person.dob) + 11)[2].1,
        );
        let child_casework =
            casework::of_child(&mut by_hand, &events, &keys, &afterwards, config.as_of);
        registers_truth.casework(person.id, &child_casework.cases);
        casework_file
            .cases
            .extend(child_casework.cases.into_iter().map(|(_, case)| case));
        writers.flush_roll(&views)?;
        writers.summary.children += 1;

        // Adults of concern: older associates known to police, one for every few trajectories.
        if trajectory && rng.chance(0.5) {
            let id = config.children + writers.summary.adults;
            let dob = config.as_of - Duration::days(rng.between(19 * 365, 32 * 365));
            let mut adult = life::new_person(&mut rng, id, dob, false);
            adult.nhs = None;
            let arrest = config.as_of - Duration::days(rng.between(200, 900));
            let adult_events = vec![
                Event {
                    supplier: Supplier::Police,
                    feed: Feed::Police,
                    date: arrest,
                    columns: vec![
                        "arrest".into(),
                        arrest.to_string(),
                        "Being concerned in the supply of class A drugs".into(),
                        String::new(),
                    ],
                    handling: "",
                    details: Vec::new(),
                },
                Event {
                    supplier: Supplier::Police,
                    feed: Feed::Police,
                    date: arrest,
                    columns: vec![
                        "intelligence".into(),
                        (arrest + Duration::days(30)).to_string(),
                        "Believed to run a county drugs line using local children".into(),
                        "2/B/P".into(),
                    ],
                    handling: "police_intelligence",
                    details: Vec::new(),
                },
            ];
            let mut views = BTreeMap::new();
            for event in &adult_events {
                writers.write(&adult, &mut views, config.seed, event)?;
            }
            writers.summary.adults += 1;
        }
        // The per-child key counters are no longer needed; dropping them keeps memory flat.
        writers.keys.clear();
        progress(index + 1);
    }

    let mut manifest = Manifest {
        tenant: TENANT.into(),
        tenant_name: "Synthetic County Council (synthetic data)".into(),
        seed: config.seed,
        children: config.children,
        agencies: Vec::new(),
        feeds: Vec::new(),
    };
    let mut agencies_seen = std::collections::BTreeSet::new();
    let mut paths: Vec<((Supplier, Feed), PathBuf)> = writers
        .feeds
        .keys()
        .map(|key| (*key, writers.feed_path(key.0, key.1)))
        .collect();
    for (school, mut out) in std::mem::take(&mut writers.ctf) {
        let path = writers.feed_path(school, Feed::SchoolCtf);
        out.write_all(b"</CTFpupilData>\n</CTfile>\n")
            .and_then(|()| out.flush())
            .map_err(|source| SynthError::Io {
                path: path.clone(),
                source,
            })?;
        paths.push(((school, Feed::SchoolCtf), path));
    }
    paths.sort_by_key(|p| p.0);
    for ((supplier, feed), path) in paths {
        if agencies_seen.insert(supplier) {
            let (name, kind) = agency_name(supplier, schools);
            manifest.agencies.push(ManifestAgency {
                code: supplier.code(),
                name,
                kind,
                // How the fair-access rows and other schools' transfer files name it.
                school_number: match supplier {
                    Supplier::School(n) => Some(pathway::school_number(n)),
                    _ => None,
                },
            });
        }
        let file = path
            .strip_prefix(out)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        manifest.feeds.push(ManifestFeed {
            agency: supplier.code(),
            feed,
            file,
        });
    }
    for (key, writer) in std::mem::take(&mut writers.feeds) {
        let path = writers.feed_path(key.0, key.1);
        let mut inner = writer.into_inner().map_err(|e| SynthError::Io {
            path: path.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        inner
            .flush()
            .map_err(|source| SynthError::Io { path, source })?;
    }
    writers.truth.flush().map_err(|source| SynthError::Io {
        path: writers.truth_path.clone(),
        source,
    })?;
    writers
        .identities
        .flush()
        .map_err(|source| SynthError::Io {
            path: writers.identities_path.clone(),
            source,
        })?;
    let manifest_path = out.join("manifest.json");
    let json = serde_json::to_string_pretty(&manifest).map_err(|e| SynthError::Io {
        path: manifest_path.clone(),
        source: std::io::Error::other(e),
    })?;
    std::fs::write(&manifest_path, json).map_err(|source| SynthError::Io {
        path: manifest_path,
        source,
    })?;
    registers_truth.finish();
    let casework_json = out.join("casework.json");
    let json = serde_json::to_string_pretty(&casework_file).map_err(|e| SynthError::Io {
        path: casework_json.clone(),
        source: std::io::Error::other(e),
    })?;
    std::fs::write(&casework_json, json).map_err(|source| SynthError::Io {
        path: casework_json,
        source,
    })?;
    let truth_json = out.join("registers_truth.json");
    let json = serde_json::to_string_pretty(&registers_truth).map_err(|e| SynthError::Io {
        path: truth_json.clone(),
        source: std::io::Error::other(e),
    })?;
    std::fs::write(&truth_json, json).map_err(|source| SynthError::Io {
        path: truth_json,
        source,
    })?;
    let calendar = out.join("calendar.toml");
    std::fs::write(&calendar, school_days::calendar_toml()).map_err(|source| SynthError::Io {
        path: calendar,
        source,
    })?;
    let readme = out.join("README.md");
    std::fs::write(
        &readme,
        readme_text(config, &writers.summary, casework_file.cases.len()),
    )
    .map_err(|source| SynthError::Io {
        path: readme,
        source,
    })?;
    Ok(writers.summary)
}

fn per(part: u64, whole: u64, scale: f64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * scale / whole as f64
    }
}

fn readme_text(config: &Config, s: &Summary, casework_cases: usize) -> String {
    let pupil_years = s.pupil_periods / 6;
    format!(
        "# Synthetic county (seed {seed}, {children} children)\n\n\
Made by `harbour synth --children {children} --seed {seed}`. Every person here is invented; no \
record describes a real person. `truth.csv` says which synthetic person is behind each agency \
record, whether they follow the Child AA pattern, and the date of serious harm where there is \
one. `identities.csv` holds each agency record's identity as that agency wrote it, with the true \
person as `cluster`, in the form `harbour link dedupe` reads. Never import either: they are the \
answer key for scoring linkage and rules.\n\n\
History runs from September {first} to {as_of}. {children} children, {adults} adults of concern, \
{records} agency records, {events} events; {trajectories} children follow the Child AA pattern \
(cautions for criminal damage and a bladed article, victim of assault, missing education in Year \
8 and at the end of Year 10, repeated suspensions, permanent exclusion, the PRU, home education, \
a MACE referral, missing episodes, a drug-supply arrest, release under investigation, serious \
violence at 17).\n\n\
## Base rates\n\n\
| measure | national figure | source | this county |\n|---|---|---|---|\n\
| suspensions per 100 pupils a year | 9.33 (2022/23) | DfE, Suspensions and permanent exclusions in England 2022/23 | {susp:.2} |\n\
| permanent exclusions per 100 pupils a year | 0.11 (2022/23) | same | {pex:.3} |\n\
| pupils persistently absent (10%+ of sessions) | 22.5% (2021/22) | DfE, Pupil absence in schools in England 2021/22 | {pa:.1}% of pupil half-terms |\n\
| pupils severely absent (50%+ of sessions) | 1.7% (2021/22) | same | {sa:.1}% of pupil half-terms |\n\
| children in elective home education | 1.1% of ages 5-16 (autumn 2023) | DfE, Elective home education 2023/24 | {ehe} episodes begun |\n\
| children missing education | about 33,000 in England (autumn 2023) | DfE answer to PQ HL101, July 2024 | {cme} episodes begun |\n\
| children in need | about 403,000 at 31 March 2023 (roughly 3.4% of under-18s) | DfE, Children in need 2023 | {cin} children referred ({cin_pct:.1}%) |\n\n\
Rates here come from a simple risk model (most children low risk, about 12% medium, 2% high), \
so they land near, not on, the national figures; the right-hand column is what this county \
actually contains, counted as it was written.\n\n\
## Noise\n\n\
Each agency records each person in its own way: nicknames (a quarter of police records where a \
nickname exists), given-name and surname typos (police 4-5%, others 1-2%), shortened \
double-barrelled surnames, day and month swapped (2%), a year out (0.5%), a missing date of \
birth (police 4%), an older postcode (12%), aliases (police 8%), and identifiers only where that \
agency holds them (UPN at schools and the LA, NHS number at health and mostly at social care). \
About 1.5% of children are twins.\n\n\
## Details\n\n\
The feeds carry the optional details `docs/feeds.md` lists: each leaver's destination and the \
year group in each school's CTF, a reason and a referrer for every social-care referral, MACE \
referrals from the police and the youth justice service as well as social care, each missing \
episode's length and whether the child was found out of the area (4% of the episodes of \
children at low or medium risk, 15% at high risk), stops and searches with their outcomes (about seven in ten no \
further action) and the severity of each injury seen at the emergency department.\n\n\
## Registers\n\n\
What the education registers open from the feeds. After each permanent exclusion the \
authority's feed reports its alternative provision (`ap_placement`, with `provider` and \
`hours_per_week`): the pupil referral unit, the AP academy, an independent provider or tuition, \
full-time (25 hours or more) for most places at the PRU and the academy and part-time for most \
others, often followed by a full-time place at the PRU. About two in five places start by the \
sixth school day; the rest start weeks or months late (the s.19 duty missed), and a recent \
exclusion may have none by {as_of}. The fair-access panel (`fair_access` rows, with \
`allocated_school`, a DfE number, and `response`) finds a school for about half the excluded \
children and for a few children moving in-year; schools are offered unequal shares and some \
refuse far more often than others. Spells missing education last from a few school days to \
months, either side of the 20 school days after which the register escalates. This county has \
{ap} placements and {panel} panel decisions. Each school's DfE number is in `manifest.json`, so \
an import sets it.\n\n\
Governing boards' decisions, reviews of the education offer and the steps taken to trace a \
missing child are recorded by officers on the register pages, not sent in any feed: \
`casework.json` holds what this county's officers recorded by {as_of}, {cases} cases in all. \
Each case names its register (`exclusions` or `missing_education`), the agency that sent the \
event that opened it (its code in `manifest.json`) and that event's `event_key`, and the facts \
in the registers' own form, oldest first: for each permanent exclusion the board's decision \
(about three in four within the 15 school days, some late, a few never) and reviews of the \
offer about every six weeks from the exclusion (some late; for some children the officer \
stops, so the next review is overdue); for each spell missing education still open on \
{as_of}, the tracing steps taken (the family contacted within days, a home visit, the \
school-to-school search and others). A spell the authority's feed closed is closed on the \
register before anything could be recorded, so it has none. `harbour demo` records it as \
its inclusion and CME officers after importing the county; it needs no answer key to find an \
entry.\n\n\
`registers_truth.json` is the answer key for the registers, worked out by the generator from \
what it wrote, counting school days with the county's own terms (`calendar.toml`: use it as \
the rules directory's calendar so the registers count as the county does): for each permanent \
exclusion its day, its sixth school day, the first provision's day, hours and provider, the \
first full-time provision's day and the school days to it (provision on day 6 is 5), and \
whether full-time provision was in place by day 6, with every placement that followed and \
the calendar days from the exclusion to it, and from the casework the board's due day, its \
decision and whether that came within the 15 school days (the board clock as met, met late, \
missed or due), the reviews held, the next review's day and whether it is overdue; for each \
spell missing education the tracing steps recorded and its first \
day, the day found (if by {as_of}), its length in calendar and school days, the 20th school \
day after it began and whether the child was found by then; for the panel each decision and \
each school's accepted, refused and pending answers; and the register figures these give. \
Never import it.\n",
        ap = s.ap_placements,
        cases = casework_cases,
        panel = s.fair_access_decisions,
        seed = config.seed,
        children = s.children,
        adults = s.adults,
        records = s.source_records,
        events = s.events,
        trajectories = s.trajectories,
        first = FIRST_YEAR,
        as_of = config.as_of,
        susp = per(s.suspensions, pupil_years, 100.0),
        pex = per(s.permanent_exclusions, pupil_years, 100.0),
        pa = per(s.pupil_periods_persistently_absent, s.pupil_periods, 100.0),
        sa = per(s.pupil_periods_severely_absent, s.pupil_periods, 100.0),
        ehe = s.ehe_starts,
        cme = s.cme_starts,
        cin = s.children_referred_to_social_care,
        cin_pct = per(s.children_referred_to_social_care, s.children, 100.0),
    )
}

#[cfg(test)]
mod tests;
