//! Keeping credentials out of every text Tenantry makes: error chains (and so the window, the
//! CLI's output and SQLite, which all show errors through `error::chain`) and log lines. Two
//! nets: the credentials this process has handed to a client are remembered and blanked
//! wherever they appear, and what has the shape of a credential is blanked too — what a
//! credential plugin printed (kube copies a failed plugin's whole output into its error), bearer
//! tokens, JSON web tokens, private keys.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::{LazyLock, PoisonError, RwLock};

/// What stands where a credential was.
pub const REDACTED: &str = "[redacted]";
/// Shorter values are not remembered: blanking them would blank ordinary words.
const SHORTEST_REMEMBERED: usize = 8;

static REMEMBERED: LazyLock<RwLock<BTreeSet<String>>> = LazyLock::new(|| RwLock::new(BTreeSet::new()));

/// Remembers `secret` (a token, a password, a key) so that no text shows it from now on.
pub fn remember(secret: &str) {
    let secret = secret.trim();
    if secret.len() >= SHORTEST_REMEMBERED {
        REMEMBERED.write().unwrap_or_else(PoisonError::into_inner).insert(secret.to_owned());
    }
}

/// `text` with every remembered credential and everything shaped like one blanked.
pub fn text(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for field in ["stdout: ", "stderr: "] {
        out = blank_after(out, field);
    }
    out = blank_private_keys(out);
    out = blank_words(out);
    let remembered = REMEMBERED.read().unwrap_or_else(PoisonError::into_inner);
    for secret in remembered.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
        }
    }
    out
}

/// Blanks the value after each `field` (a `Debug` string or byte list, as in a process output).
fn blank_after<'a>(text: Cow<'a, str>, field: &str) -> Cow<'a, str> {
    if !text.contains(field) {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_ref();
    while let Some(at) = rest.find(field) {
        out.push_str(&rest[..at + field.len()]);
        let value = &rest[at + field.len()..];
        let end = match value.chars().next() {
            Some('"') => debug_string_end(value),
            Some('[') => value.find(']').map_or(value.len(), |i| i + 1),
            _ => value.find([',', ' ', '}']).unwrap_or(value.len()),
        };
        out.push_str(REDACTED);
        rest = &value[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The byte index just past a `Debug`-quoted string starting at `value[0]`.
fn debug_string_end(value: &str) -> usize {
    let mut escaped = false;
    for (index, c) in value.char_indices().skip(1) {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '"') => return index + 1,
            _ => {}
        }
    }
    value.len()
}

/// Blanks PEM private key blocks (a whole block, or what is left of one).
fn blank_private_keys(text: Cow<'_, str>) -> Cow<'_, str> {
    let Some(start) = text.find("-----BEGIN") else { return text };
    if !text[start..].contains("PRIVATE KEY-----") {
        return text;
    }
    let end = text[start..]
        .find("-----END")
        .and_then(|end| text[start + end + 8..].find("-----").map(|tail| start + end + 8 + tail + 5))
        .unwrap_or(text.len());
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..start]);
    out.push_str(REDACTED);
    out.push_str(&blank_private_keys(Cow::Borrowed(&text[end..])));
    Cow::Owned(out)
}

/// Blanks JSON web tokens (`eyJ….….…`) and the word after `Bearer`.
fn blank_words(text: Cow<'_, str>) -> Cow<'_, str> {
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=' | '+' | '/');
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut rest = text.as_ref();
    let mut after_bearer = false;
    while !rest.is_empty() {
        let start = rest.find(is_token_char).unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(|c: char| !is_token_char(c)).unwrap_or(rest.len());
        let word = &rest[..end];
        let jwt = word.starts_with("eyJ") && word.matches('.').count() >= 2 && word.len() > 20;
        // After "Bearer" a credential, not a word of a sentence ("the bearer token is invalid").
        if (after_bearer && word.len() >= SHORTEST_REMEMBERED) || jwt {
            out.push_str(REDACTED);
            changed = true;
        } else {
            out.push_str(word);
        }
        after_bearer = word.eq_ignore_ascii_case("bearer");
        rest = &rest[end..];
    }
    if changed { Cow::Owned(out) } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_failed_plugin_printed_is_blanked() {
        let kube = "auth exec command 'get-token' failed with status exit status: 1: Output { status: ExitStatus(unix_wait_status(256)), stdout: \"{\\\"status\\\":{\\\"token\\\":\\\"s3cr3t-t0ken\\\"}}\", stderr: \"login \\\"failed\\\"\\n\" }";
        let blanked = text(kube);
        assert!(!blanked.contains("s3cr3t") && !blanked.contains("login"), "{blanked}");
        assert!(blanked.starts_with("auth exec command 'get-token' failed with status exit status: 1"));
        let bytes = text("Output { status: x, stdout: [115, 51, 99], stderr: [] }");
        assert_eq!(bytes, "Output { status: x, stdout: [redacted], stderr: [redacted] }");
    }

    #[test]
    fn credentials_by_shape_and_remembered_ones_are_blanked() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLXBhcnQ";
        assert_eq!(text(&format!("token {jwt} refused")), "token [redacted] refused");
        assert_eq!(text("Authorization: Bearer abc.def-123"), "Authorization: Bearer [redacted]");
        assert_eq!(text("invalid bearer token: header"), "invalid bearer token: header");
        let key = "key: -----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY----- end";
        assert_eq!(text(key), "key: [redacted] end");
        remember("plain-remembered-secret-42");
        assert_eq!(text("got plain-remembered-secret-42!"), "got [redacted]!");
        remember("short");
        assert_eq!(text("a short word"), "a short word", "short values are not remembered");
        assert!(matches!(text("nothing to hide here"), Cow::Borrowed(_)));
    }
}
