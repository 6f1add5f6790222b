//! Template output as data. Every value a template prints (`{{ … }}`) stands in the rendered
//! YAML as an opaque token of letters and digits, unique to the render; the documents are parsed
//! with only the template's own text as syntax, and then each token is put back into the parsed
//! strings as the value it stands for. A value can therefore hold quotes, line breaks, `---`,
//! `{{`, anchors or a whole manifest and still only ever be the text of the field it was printed
//! into: it cannot add, rename or re-target an object. Numbers and booleans are printed as they
//! are; a string stays a string (print a typed parameter for a number).

use std::sync::{Arc, Mutex, PoisonError};

use minijinja::value::ValueKind;
use minijinja::{ErrorKind, Output, State};
use serde_json::{Map, Value};

/// Letters every token starts with, before the render's random part.
const TOKEN_START: &str = "tnry";
/// Letter every token ends with, after the value's index.
const TOKEN_END: char = 'z';

/// The values one render printed, in the order printed.
pub(super) struct Printed {
    /// `TOKEN_START` and the render's random part.
    prefix: String,
    values: Mutex<Vec<Value>>,
}

impl Printed {
    /// A fresh table with a random token prefix, so no template text can spell a token.
    pub(super) fn new() -> Result<Arc<Self>, minijinja::Error> {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random)
            .map_err(|e| minijinja::Error::new(ErrorKind::InvalidOperation, format!("no random source: {e}")))?;
        let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Arc::new(Self { prefix: format!("{TOKEN_START}{hex}"), values: Mutex::new(Vec::new()) }))
    }

    /// Writes the token standing for `value`.
    fn print(&self, out: &mut Output<'_>, value: Value) -> Result<(), minijinja::Error> {
        let mut values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        values.push(value);
        let token = format!("{}{}{TOKEN_END}", self.prefix, values.len() - 1);
        out.write_str(&token).map_err(|e| minijinja::Error::new(ErrorKind::WriteFailure, e.to_string()))
    }

    /// `parsed` with every token put back as its value: a string that is one token becomes the
    /// value itself (a string, a list…); tokens within a longer string become their text.
    pub(super) fn fill(&self, parsed: Value) -> Result<Value, String> {
        match parsed {
            Value::String(text) => self.fill_text(&text),
            Value::Array(items) => {
                items.into_iter().map(|item| self.fill(item)).collect::<Result<_, _>>().map(Value::Array)
            }
            Value::Object(fields) => {
                let mut filled = Map::new();
                for (key, value) in fields {
                    let key = match self.fill_text(&key)? {
                        Value::String(key) => key,
                        other => text_of(&other),
                    };
                    if filled.contains_key(&key) {
                        return Err(format!("prints the key {key:?} twice in one mapping"));
                    }
                    filled.insert(key, self.fill(value)?);
                }
                Ok(Value::Object(filled))
            }
            other => Ok(other),
        }
    }

    fn fill_text(&self, text: &str) -> Result<Value, String> {
        let values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.find(&self.prefix) {
            pieces.push(Piece::Text(&rest[..at]));
            let after = &rest[at + self.prefix.len()..];
            let digits = after.find(|c: char| !c.is_ascii_digit()).unwrap_or(after.len());
            let index: usize = after[..digits].parse().map_err(|_| "holds a damaged value".to_owned())?;
            if !after[digits..].starts_with(TOKEN_END) {
                return Err("holds a damaged value".into());
            }
            pieces.push(Piece::Value(values.get(index).ok_or("holds a damaged value")?));
            rest = &after[digits + TOKEN_END.len_utf8()..];
        }
        pieces.push(Piece::Text(rest));
        pieces.retain(|piece| !matches!(piece, Piece::Text("")));
        Ok(match pieces.as_slice() {
            [Piece::Value(value)] => (*value).clone(),
            _ => Value::String(
                pieces
                    .iter()
                    .map(|piece| match piece {
                        Piece::Text(text) => (*text).to_owned(),
                        Piece::Value(value) => text_of(value),
                    })
                    .collect(),
            ),
        })
    }
}

/// Part of a parsed string: template text or a printed value.
enum Piece<'a> {
    Text(&'a str),
    Value(&'a Value),
}

/// A printed value as text within a longer string.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The formatter printing into `printed`: numbers and booleans as they are, every other value
/// (and JSON marked safe, as `tojson` makes) as a token.
pub(super) fn formatter(
    printed: Arc<Printed>,
) -> impl Fn(&mut Output<'_>, &State<'_, '_>, &minijinja::Value) -> Result<(), minijinja::Error> + Send + Sync + 'static
{
    move |out, _state, value| {
        let data = match value.kind() {
            ValueKind::Number | ValueKind::Bool => {
                return out
                    .write_str(&value.to_string())
                    .map_err(|e| minijinja::Error::new(ErrorKind::WriteFailure, e.to_string()));
            }
            ValueKind::String if value.is_safe() => serde_json::from_str(value.as_str().unwrap_or_default()).map_err(|_| {
                minijinja::Error::new(
                    ErrorKind::InvalidOperation,
                    "only JSON (from tojson) may be marked safe; a blueprint prints values as data, never as YAML text",
                )
            })?,
            _ => serde_json::to_value(value)
                .map_err(|e| minijinja::Error::new(ErrorKind::BadSerialization, e.to_string()))?,
        };
        printed.print(out, data)
    }
}
