//! Any bytes, read as a Common Transfer File: reading must never panic or hang, whatever
//! the XML (or non-XML) says.
#![no_main]

use harbour_import::ctf::{CtfReader, Next};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let today = time::Date::from_calendar_date(2026, time::Month::September, 1).unwrap();
    let mut reader = CtfReader::new(data, today);
    for _ in 0..10_000 {
        match reader.next_pupil() {
            Ok(Next::Pupil(_)) => continue,
            Ok(Next::End) | Err(_) => break,
        }
    }
});
