//! Any bytes, read as a CSV file of any feed: parsing must never panic.
#![no_main]

use harbour_domain::feeds::Feed;
use harbour_import::{Header, parse_row};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let feeds: Vec<Feed> = Feed::ALL.iter().copied().filter(|f| !f.is_xml()).collect();
    let feed = feeds[usize::from(selector) % feeds.len()];
    let today = time::Date::from_calendar_date(2026, time::Month::September, 1).unwrap();
    let header = Header::check(feed, &csv::StringRecord::from(feed.columns().to_vec())).unwrap();
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(body);
    for (line, record) in reader.records().enumerate() {
        if let Ok(record) = record {
            let _ = parse_row(&header, &record, line as u64, today);
        }
    }
});
