//! RFC 3339 / `xsd:dateTime` timestamps, read into an instant that orders chronologically.
//!
//! Accepted: `YYYY-MM-DD` followed by `T` (or `t`, or a space) and `hh:mm:ss`, optional
//! fractional seconds (any number of digits, nanosecond precision kept) and an optional
//! offset `Z` / `±hh:mm` (absent means UTC). A bare `YYYY-MM-DD` means its midnight UTC.

/// A point in time: seconds since 1970-01-01T00:00:00Z and nanoseconds after that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant {
    seconds: i64,
    nanos: u32,
}

/// The instant `text` names, or `None` when it is not a timestamp.
pub fn parse(text: &str) -> Option<Instant> {
    let mut cursor = Cursor { bytes: text.trim().as_bytes(), at: 0 };
    let year = cursor.digits(4)?;
    cursor.expect(b'-')?;
    let month = cursor.digits(2)?;
    cursor.expect(b'-')?;
    let day = cursor.digits(2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if cursor.done() {
        return Some(Instant { seconds: days * 86_400, nanos: 0 });
    }
    if !matches!(cursor.next()?, b'T' | b't' | b' ') {
        return None;
    }
    let hour = cursor.digits(2)?;
    cursor.expect(b':')?;
    let minute = cursor.digits(2)?;
    cursor.expect(b':')?;
    let second = cursor.digits(2)?;
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let nanos = if cursor.peek() == Some(b'.') {
        cursor.at += 1;
        cursor.fraction()?
    } else {
        0
    };
    let offset = match cursor.next() {
        None | Some(b'Z' | b'z') => 0,
        Some(sign @ (b'+' | b'-')) => {
            let hours = cursor.digits(2)?;
            cursor.expect(b':')?;
            let minutes = cursor.digits(2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3600 + minutes * 60;
            if sign == b'-' { -offset } else { offset }
        }
        Some(_) => return None,
    };
    if !cursor.done() {
        return None;
    }
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(Instant { seconds, nanos })
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn expect(&mut self, wanted: u8) -> Option<()> {
        (self.next()? == wanted).then_some(())
    }

    /// Exactly `count` decimal digits as a number.
    fn digits(&mut self, count: usize) -> Option<i64> {
        let mut value = 0;
        for _ in 0..count {
            let byte = self.next()?;
            if !byte.is_ascii_digit() {
                return None;
            }
            value = value * 10 + i64::from(byte - b'0');
        }
        Some(value)
    }

    /// One or more digits after a decimal point, as nanoseconds (digits past the ninth
    /// are read and dropped).
    fn fraction(&mut self) -> Option<u32> {
        let mut nanos = 0;
        let mut count = 0;
        while let Some(byte) = self.peek().filter(u8::is_ascii_digit) {
            self.at += 1;
            if count < 9 {
                nanos = nanos * 10 + u32::from(byte - b'0');
            }
            count += 1;
        }
        if count == 0 {
            return None;
        }
        for _ in count..9 {
            nanos *= 10;
        }
        Some(nanos)
    }
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(text: &str) -> Option<i64> {
        parse(text).map(|instant| instant.seconds)
    }

    #[test]
    fn known_instants_have_their_unix_seconds() {
        assert_eq!(seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(seconds("2011-05-13T04:42:34Z"), Some(1_305_261_754));
        assert_eq!(seconds("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(seconds("1969-12-31T23:59:59Z"), Some(-1));
        assert_eq!(seconds("2011-05-13"), Some(1_305_244_800));
    }

    #[test]
    fn offsets_name_the_same_instant() {
        assert_eq!(parse("2015-04-15T12:44:14-06:00"), parse("2015-04-15T18:44:14Z"));
        assert_eq!(parse("2015-04-16T00:14:14+05:30"), parse("2015-04-15t18:44:14z"));
        assert_eq!(parse("2015-04-15 18:44:14"), parse("2015-04-15T18:44:14Z"));
    }

    #[test]
    fn fractional_seconds_order_within_a_second() {
        let whole = parse("2015-04-15T12:44:14Z");
        let later = parse("2015-04-15T12:44:14.227Z");
        assert!(whole.is_some() && whole < later);
        assert_eq!(parse("2015-04-15T12:44:14.5Z"), parse("2015-04-15T12:44:14.500000000123Z"));
    }

    #[test]
    fn malformed_timestamps_are_not_instants() {
        for text in [
            "",
            "2011",
            "2011-13-01",
            "2011-02-29",
            "2011-04-31T00:00:00Z",
            "2011-05-13T24:00:00Z",
            "2011-05-13T04:42Z",
            "2011-05-13T04:42:34.Z",
            "2011-05-13T04:42:34+0100",
            "2011-05-13T04:42:34Zjunk",
            "2011-05-13X04:42:34Z",
            "２０１１-05-13",
            "john",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
