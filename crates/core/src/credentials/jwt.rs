//! What a JSON web token says about itself, read without verifying it: when it expires.

use base64::Engine as _;

/// The `exp` claim of a JSON web token (a ServiceAccount token, an OIDC ID token); `None` for an
/// opaque token or one without the claim.
pub fn expiry(token: &str) -> Option<jiff::Timestamp> {
    let claims = token.split('.').nth(1)?;
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(claims.trim_end_matches('=')).ok()?;
    let exp = serde_json::from_slice::<serde_json::Value>(&claims).ok()?.get("exp")?.as_i64()?;
    jiff::Timestamp::from_second(exp).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_web_token_tells_its_expiry_and_an_opaque_token_none() {
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"sub":"me","exp":1900000000}"#);
        let token = format!("eyJhbGciOiJSUzI1NiJ9.{claims}.c2ln");
        assert_eq!(expiry(&token), jiff::Timestamp::from_second(1_900_000_000).ok());
        assert_eq!(expiry("0123456789abcdef"), None);
    }
}
