//! A list response's body decoded from batches of its bytes as they arrive: each object is
//! decoded from the bytes in hand (serde_json's fast slice reader) as soon as all of its bytes
//! are, and only the unfinished object's bytes are kept for the next batch. The envelope's keys
//! may come in any order; `items` may be `null`.

use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};

use super::store::{Keyed, Listed};

/// Why a body could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// A value is not the JSON a list holds.
    #[error("the list's body is not valid: {0}")]
    Json(#[from] serde_json::Error),
    /// A byte is where the list's JSON has none.
    #[error("the list's body has {found:?} where {expected} belongs")]
    Unexpected {
        /// The byte found.
        found: char,
        /// What belongs there.
        expected: &'static str,
    },
    /// The body ended before its list did.
    #[error("the list's body ended early")]
    Truncated,
}

/// The part of a list's metadata the watch needs.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListMeta {
    resource_version: Option<String>,
}

/// Where in the body the next bytes belong.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Position {
    /// Before the envelope's `{`.
    Start,
    /// After `{`: a key or `}`.
    FirstKey,
    /// After `,`: a key.
    NextKey,
    /// After a key: its `:`.
    Colon(String),
    /// After a key's `:`: its value.
    Value(String),
    /// After a value: `,` or `}`.
    AfterValue,
    /// After `items`' `[`: an object or `]`.
    FirstItem,
    /// After an object's `,`: an object.
    NextItem,
    /// After an object: `,` or `]`.
    AfterItem,
    /// After the envelope's `}`: nothing but whitespace.
    End,
}

/// What one step over the bytes in hand did.
enum Step {
    /// Moved on to the position, `used` bytes further.
    To(Position, usize),
    /// The next value's bytes are not all in yet.
    NeedMore,
}

/// A list body being decoded: the objects so far and the bytes of the unfinished one.
pub struct BodyDecoder<K> {
    pending: Vec<u8>,
    position: Position,
    items: Listed<K>,
    resource_version: Option<String>,
}

impl<K> Default for BodyDecoder<K> {
    fn default() -> Self {
        Self { pending: Vec::new(), position: Position::Start, items: Listed::default(), resource_version: None }
    }
}

impl<K: Keyed + DeserializeOwned> BodyDecoder<K> {
    /// Decodes every value `batch` completes, keeping only the unfinished value's bytes.
    pub fn push(&mut self, batch: Vec<u8>) -> Result<(), BodyError> {
        if self.pending.is_empty() {
            self.pending = batch;
        } else {
            self.pending.extend_from_slice(&batch);
        }
        let used = self.decode(false)?;
        self.pending = self.pending.split_off(used);
        Ok(())
    }

    /// The objects and the list's resourceVersion, once the body has ended.
    pub fn finish(mut self) -> Result<(Listed<K>, Option<String>), BodyError> {
        let used = self.decode(true)?;
        if self.position != Position::End || used < self.pending.len() {
            return Err(BodyError::Truncated);
        }
        Ok((self.items, self.resource_version))
    }

    /// Steps over the pending bytes as far as they go; returns how many it used.
    fn decode(&mut self, at_end: bool) -> Result<usize, BodyError> {
        let pending = std::mem::take(&mut self.pending);
        let used = self.decode_from(&pending, at_end);
        self.pending = pending;
        used
    }

    /// Steps over `pending` as far as its bytes go; returns how many it used.
    fn decode_from(&mut self, pending: &[u8], at_end: bool) -> Result<usize, BodyError> {
        let mut at = 0;
        loop {
            at += pending[at..].iter().take_while(|b| b.is_ascii_whitespace()).count();
            let rest = &pending[at..];
            let Some(&next) = rest.first() else { return Ok(at) };
            match self.step(next, rest, at_end)? {
                Step::To(position, used) => {
                    self.position = position;
                    at += used;
                }
                Step::NeedMore => return Ok(at),
            }
        }
    }

    /// One step from the current position over `rest` (not empty, starting at byte `next`).
    fn step(&mut self, next: u8, rest: &[u8], at_end: bool) -> Result<Step, BodyError> {
        let expect = |wanted: u8, expected: &'static str, then: Position| {
            if next == wanted {
                Ok(Step::To(then, 1))
            } else {
                Err(BodyError::Unexpected { found: next.into(), expected })
            }
        };
        match &self.position {
            Position::Start => expect(b'{', "the list's `{`", Position::FirstKey),
            Position::FirstKey if next == b'}' => Ok(Step::To(Position::End, 1)),
            Position::FirstKey | Position::NextKey => Ok(value::<String>(rest, at_end)?
                .map_or(Step::NeedMore, |(key, used)| Step::To(Position::Colon(key), used))),
            Position::Colon(key) => expect(b':', "a `:`", Position::Value(key.clone())),
            Position::Value(key) if key == "items" && next == b'[' => Ok(Step::To(Position::FirstItem, 1)),
            Position::Value(key) if key == "metadata" => Ok(match value::<ListMeta>(rest, at_end)? {
                Some((meta, used)) => {
                    self.resource_version = meta.resource_version;
                    Step::To(Position::AfterValue, used)
                }
                None => Step::NeedMore,
            }),
            Position::Value(_) => Ok(value::<IgnoredAny>(rest, at_end)?
                .map_or(Step::NeedMore, |(_, used)| Step::To(Position::AfterValue, used))),
            Position::AfterValue if next == b'}' => Ok(Step::To(Position::End, 1)),
            Position::AfterValue => expect(b',', "a `,` or `}`", Position::NextKey),
            Position::FirstItem if next == b']' => Ok(Step::To(Position::AfterValue, 1)),
            Position::FirstItem | Position::NextItem => Ok(match value::<K>(rest, at_end)? {
                Some((object, used)) => {
                    self.items.push(object);
                    Step::To(Position::AfterItem, used)
                }
                None => Step::NeedMore,
            }),
            Position::AfterItem if next == b']' => Ok(Step::To(Position::AfterValue, 1)),
            Position::AfterItem => expect(b',', "a `,` or `]`", Position::NextItem),
            Position::End => Err(BodyError::Unexpected { found: next.into(), expected: "the end" }),
        }
    }
}

/// The value at the start of `bytes` and how many bytes it takes, or `None` when its bytes are
/// not all in yet. Before the body's end a value counts as complete only when a byte follows
/// it, so a number cut between two batches is never taken for a shorter one.
fn value<T: DeserializeOwned>(bytes: &[u8], at_end: bool) -> Result<Option<(T, usize)>, BodyError> {
    let mut values = serde_json::Deserializer::from_slice(bytes).into_iter::<T>();
    match values.next() {
        Some(Ok(value)) if at_end || values.byte_offset() < bytes.len() => Ok(Some((value, values.byte_offset()))),
        Some(Ok(_)) | None => Ok(None),
        Some(Err(err)) if err.is_eof() => Ok(None),
        Some(Err(err)) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::objects::WatchedDeployment;

    const BODY: &str = r#"{"items":[{"metadata":{"name":"a","namespace":"x","labels":{"k":"v"}}},
        {"metadata":{"name":"b","namespace":"x"},"spec":{"replicas":12}}],
        "kind":"DeploymentList","metadata":{"resourceVersion":"77","continue":""}}"#;

    fn names(items: Listed<WatchedDeployment>) -> Vec<String> {
        let (store, writer) = crate::inventory::store::store();
        writer.replace(items);
        let mut names: Vec<String> = store.state().iter().map(|d| d.metadata.name.to_string()).collect();
        names.sort();
        names
    }

    fn decode_in(body: &[u8], batch: usize) -> Result<(Listed<WatchedDeployment>, Option<String>), BodyError> {
        let mut decoder = BodyDecoder::default();
        for part in body.chunks(batch) {
            decoder.push(part.to_vec())?;
        }
        decoder.finish()
    }

    #[test]
    fn a_body_decodes_the_same_however_its_bytes_are_cut() {
        for batch in [1, 2, 3, 7, 64, BODY.len()] {
            let (items, version) = decode_in(BODY.as_bytes(), batch).expect("decodes");
            assert_eq!((names(items), version.as_deref()), (vec!["a".to_owned(), "b".to_owned()], Some("77")));
        }
    }

    #[test]
    fn a_list_without_items_is_empty() {
        for body in [
            r#"{"metadata":{"resourceVersion":"5"},"items":null}"#,
            r#"{"items":[],"metadata":{"resourceVersion":"5"}}"#,
            r#"{"metadata":{"resourceVersion":"5"}}"#,
        ] {
            let (items, version) = decode_in(body.as_bytes(), 4).expect("decodes");
            assert_eq!((names(items), version.as_deref()), (Vec::<String>::new(), Some("5")), "{body}");
        }
    }

    #[test]
    fn a_cut_off_body_is_truncated_not_a_shorter_list() {
        for end in 1..BODY.len() - 1 {
            let cut = BODY[..end].trim_end();
            if cut.len() < BODY.trim_end().len() {
                assert!(
                    matches!(decode_in(cut.as_bytes(), 5), Err(BodyError::Truncated)),
                    "cut after {end} bytes: {:?}",
                    decode_in(cut.as_bytes(), 5).err()
                );
            }
        }
    }

    #[test]
    fn bytes_that_are_not_a_list_are_refused() {
        for body in [
            r#"[1,2]"#,
            r#"{"items":[{"metadata":{"name":"a"}},]}"#,
            r#"{"items":[]}x"#,
            r#"{"items":[] "kind":"x"}"#,
            r#"{"items":[{"metadata":7}]}"#,
        ] {
            let refused = decode_in(body.as_bytes(), 3);
            assert!(
                matches!(refused, Err(BodyError::Json(_) | BodyError::Unexpected { .. })),
                "{body}: {:?}",
                refused.err()
            );
        }
    }
}
