//! Harbour's credential logic, with no I/O, so every rule here is tested on its own:
//! password hashing and strength ([`password`]), second-factor codes ([`totp`]), random
//! tokens ([`token`]) and when to slow sign-in attempts down ([`throttle`]).

pub mod password;
pub mod throttle;
pub mod token;
pub mod totp;
