//! How long ago something was seen, in the words every view uses.

/// `seconds` as a short age: "just now", "42 s", "5 min", "3 h", "2 days".
pub fn format_age(seconds: i64) -> String {
    match seconds.max(0) {
        0..=4 => "just now".into(),
        s @ 5..=59 => format!("{s} s"),
        s @ 60..=3599 => format!("{} min", s / 60),
        s @ 3600..=86_399 => format!("{} h", s / 3600),
        s if s < 2 * 86_400 => "1 day".into(),
        s => format!("{} days", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::format_age;

    #[test]
    fn ages_read_naturally() {
        let cases = [
            (-3, "just now"),
            (0, "just now"),
            (5, "5 s"),
            (59, "59 s"),
            (60, "1 min"),
            (3599, "59 min"),
            (3600, "1 h"),
            (86_399, "23 h"),
            (86_400, "1 day"),
            (3 * 86_400 + 5, "3 days"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(format_age(seconds), expected, "{seconds} s");
        }
    }
}
