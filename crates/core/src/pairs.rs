//! Labels and annotations as a watched object keeps them, and reading either by key. A map of
//! strings costs half a kilobyte even with one entry, and every stored object has two: at fleet
//! size (tens of thousands of objects) the maps were the largest part of the inventory.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, Visitor};

/// Anything labels or annotations can be read from by key.
pub trait Lookup: std::fmt::Debug {
    /// The value under `key`, if there is one.
    fn value(&self, key: &str) -> Option<&str>;
}

impl Lookup for BTreeMap<String, String> {
    fn value(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl<L: Lookup> Lookup for Option<L> {
    fn value(&self, key: &str) -> Option<&str> {
        self.as_ref()?.value(key)
    }
}

/// Key-value pairs sorted by key, packed into one string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pairs {
    /// Every key followed by its value.
    text: Box<str>,
    /// Where each key and each value ends in `text`.
    ends: Box<[(u32, u32)]>,
}

impl Pairs {
    /// Every pair in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut start = 0;
        self.ends.iter().map(move |&(key_end, value_end)| {
            let (key_end, value_end) = (key_end as usize, value_end as usize);
            let pair = (&self.text[start..key_end], &self.text[key_end..value_end]);
            start = value_end;
            pair
        })
    }

    /// The value under `key`, if there is one.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|(found, _)| *found == key).map(|(_, value)| value)
    }
}

impl Lookup for Pairs {
    fn value(&self, key: &str) -> Option<&str> {
        self.get(key)
    }
}

impl FromIterator<(String, String)> for Pairs {
    /// Packs `pairs`; of pairs with the same key the last wins. Text longer than 4 GiB is cut
    /// off at a pair boundary (no API server stores objects that large).
    fn from_iter<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        let sorted: BTreeMap<String, String> = pairs.into_iter().collect();
        let mut text = String::with_capacity(sorted.iter().map(|(key, value)| key.len() + value.len()).sum());
        let mut ends = Vec::with_capacity(sorted.len());
        for (key, value) in &sorted {
            let key_end = text.len() + key.len();
            let (Ok(key_end), Ok(value_end)) = (u32::try_from(key_end), u32::try_from(key_end + value.len())) else {
                break;
            };
            text.push_str(key);
            text.push_str(value);
            ends.push((key_end, value_end));
        }
        Self { text: text.into_boxed_str(), ends: ends.into_boxed_slice() }
    }
}

impl<'de> serde::Deserialize<'de> for Pairs {
    /// Decodes a JSON object of strings (`null` is empty).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_without(deserializer, &[])
    }
}

/// Decodes a JSON object of strings into [`Pairs`], leaving out the keys in `skip` (`null` is
/// empty). Keys and values are copied straight into the packed text as the parser reads them,
/// with no string of their own on the way: listings decode tens of thousands of these.
pub fn deserialize_without<'de, D: Deserializer<'de>>(deserializer: D, skip: &[&str]) -> Result<Pairs, D::Error> {
    deserializer.deserialize_option(Packing { skip })
}

/// Packs a JSON object's string keys and values as they are read.
struct Packing<'a> {
    skip: &'a [&'a str],
}

impl<'de> Visitor<'de> for Packing<'_> {
    type Value = Pairs;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an object of strings")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Pairs, E> {
        Ok(Pairs::default())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Pairs, E> {
        Ok(Pairs::default())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Pairs, D::Error> {
        deserializer.deserialize_map(self)
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Pairs, M::Error> {
        let mut text = String::new();
        let mut read: Vec<(usize, usize, usize)> = Vec::new();
        loop {
            let start = text.len();
            if map.next_key_seed(Append(&mut text))?.is_none() {
                break;
            }
            let key_end = text.len();
            if self.skip.contains(&&text[start..key_end]) {
                map.next_value::<IgnoredAny>()?;
                text.truncate(start);
                continue;
            }
            map.next_value_seed(Append(&mut text))?;
            read.push((start, key_end, text.len()));
        }
        let key = |&(start, key_end, _): &(usize, usize, usize)| &text[start..key_end];
        // The API server sends maps sorted by key; anything else is sorted here, the last of a
        // key winning.
        if !read.windows(2).all(|pair| key(&pair[0]) < key(&pair[1])) {
            let owned = read
                .iter()
                .map(|&(start, key_end, end)| (text[start..key_end].to_owned(), text[key_end..end].to_owned()));
            return Ok(owned.collect());
        }
        let ends = read
            .iter()
            .map(|&(_, key_end, end)| Ok((u32::try_from(key_end)?, u32::try_from(end)?)))
            .collect::<Result<Vec<_>, std::num::TryFromIntError>>()
            .map_err(|_| M::Error::custom("labels or annotations larger than 4 GiB"))?;
        Ok(Pairs { text: text.into_boxed_str(), ends: ends.into_boxed_slice() })
    }
}

/// Appends the string it decodes to a text.
struct Append<'a>(&'a mut String);

impl<'de> DeserializeSeed<'de> for Append<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Append<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<(), E> {
        self.0.push_str(value);
        Ok(())
    }
}

impl From<BTreeMap<String, String>> for Pairs {
    fn from(map: BTreeMap<String, String>) -> Self {
        map.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(entries: &[(&str, &str)]) -> Pairs {
        entries.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect()
    }

    #[test]
    fn pairs_read_back_sorted_by_key_with_the_last_of_a_key_winning() {
        let packed = pairs(&[("tenantry.io/tenant", "acme"), ("app", ""), ("ü", "ö"), ("app", "web")]);
        assert_eq!(packed.iter().collect::<Vec<_>>(), [("app", "web"), ("tenantry.io/tenant", "acme"), ("ü", "ö")]);
        assert_eq!(packed.get("tenantry.io/tenant"), Some("acme"));
        assert_eq!(packed.get("ü"), Some("ö"));
        assert_eq!(packed.get("tenantry.io"), None);
        assert_eq!(packed.get("appweb"), None);
    }

    #[test]
    fn empty_keys_and_values_keep_their_places() {
        let packed = pairs(&[("", "x"), ("a", ""), ("b", "y")]);
        assert_eq!(packed.iter().collect::<Vec<_>>(), [("", "x"), ("a", ""), ("b", "y")]);
        assert_eq!((packed.get(""), packed.get("a")), (Some("x"), Some("")));
        assert!(Pairs::default().iter().next().is_none() && Pairs::default().get("").is_none());
    }

    #[test]
    fn decoding_packs_sorts_and_skips() {
        let decode = |json: &str, skip: &[&str]| -> Pairs {
            deserialize_without(&mut serde_json::Deserializer::from_str(json), skip).expect("decodes")
        };
        let sorted = decode(r#"{"a": "1", "big": "{\"x\": 1}", "b\u00fc": ""}"#, &["big"]);
        assert_eq!(sorted.iter().collect::<Vec<_>>(), [("a", "1"), ("bü", "")]);
        let unsorted = decode(r#"{"z": "1", "a": "2", "z": "3"}"#, &[]);
        assert_eq!(unsorted.iter().collect::<Vec<_>>(), [("a", "2"), ("z", "3")]);
        assert!(decode("null", &[]).iter().next().is_none() && decode("{}", &[]).iter().next().is_none());
        let from_reader: Pairs = serde_json::from_reader(&br#"{"k": "v"}"#[..]).expect("decodes");
        assert_eq!(from_reader.get("k"), Some("v"));
        assert!(serde_json::from_str::<Pairs>(r#"{"k": 1}"#).is_err(), "values are strings");
    }

    #[test]
    fn maps_and_missing_maps_are_read_the_same_way() {
        let map: BTreeMap<String, String> = [("k".to_owned(), "v".to_owned())].into();
        assert_eq!(
            (map.value("k"), Some(map.clone()).value("k"), None::<Pairs>.value("k")),
            (Some("v"), Some("v"), None)
        );
        assert_eq!(Pairs::from(map).value("k"), Some("v"));
    }
}
