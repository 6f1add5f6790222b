//! A blueprint's parameters: declared with a type, bounds and a default in the blueprint's
//! header; given as text in the tenant's spec; checked and converted before rendering.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One declared parameter.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Parameter {
    /// Its type and bounds.
    #[serde(flatten)]
    pub kind: ParameterKind,
    /// What it means, for forms and errors.
    #[serde(default)]
    pub description: String,
}

/// A parameter's type, bounds and default.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ParameterKind {
    /// Free text, non-empty.
    String {
        /// Used when the spec gives none.
        default: Option<String>,
    },
    /// A whole number within bounds.
    Integer {
        /// Used when the spec gives none.
        default: Option<i64>,
        /// Smallest allowed.
        min: Option<i64>,
        /// Largest allowed.
        max: Option<i64>,
    },
    /// `true` or `false`.
    Boolean {
        /// Used when the spec gives none.
        default: Option<bool>,
    },
    /// One of a fixed list.
    Choice {
        /// The allowed values.
        values: Vec<String>,
        /// Used when the spec gives none.
        default: Option<String>,
    },
}

/// Why a parameter value is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParameterError {
    /// The spec names a parameter the blueprint does not declare.
    #[error("blueprint {blueprint} has no parameter {name:?} (it has: {known})")]
    Unknown {
        /// The blueprint.
        blueprint: String,
        /// The unknown name.
        name: String,
        /// The declared names.
        known: String,
    },
    /// A parameter without default was not given.
    #[error("blueprint {blueprint} needs the parameter {name:?}: {description}")]
    Missing {
        /// The blueprint.
        blueprint: String,
        /// The parameter.
        name: String,
        /// What it means.
        description: String,
    },
    /// A value does not fit the parameter's type or bounds.
    #[error("parameter {name:?} of blueprint {blueprint}: {problem}")]
    Invalid {
        /// The blueprint.
        blueprint: String,
        /// The parameter.
        name: String,
        /// What is wrong, e.g. "must be at most 65535".
        problem: String,
    },
}

/// The parameters' values for a template: every declared parameter, typed, defaults filled in.
pub fn resolve(
    blueprint: &str,
    declared: &BTreeMap<String, Parameter>,
    given: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, serde_json::Value>, ParameterError> {
    if let Some(name) = given.keys().find(|name| !declared.contains_key(*name)) {
        let known = declared.keys().cloned().collect::<Vec<_>>().join(", ");
        return Err(ParameterError::Unknown { blueprint: blueprint.into(), name: name.clone(), known });
    }
    declared
        .iter()
        .map(|(name, parameter)| {
            let invalid =
                |problem: String| ParameterError::Invalid { blueprint: blueprint.into(), name: name.clone(), problem };
            let value = match given.get(name) {
                Some(text) => parameter.kind.parse(text).map_err(invalid)?,
                None => parameter.kind.default_value().ok_or_else(|| ParameterError::Missing {
                    blueprint: blueprint.into(),
                    name: name.clone(),
                    description: parameter.description.clone(),
                })?,
            };
            parameter.kind.check(&value).map_err(invalid)?;
            Ok((name.clone(), value))
        })
        .collect()
}

impl ParameterKind {
    /// The default as a template value, if there is one.
    fn default_value(&self) -> Option<serde_json::Value> {
        match self {
            Self::String { default } | Self::Choice { default, .. } => default.clone().map(Into::into),
            Self::Integer { default, .. } => default.map(Into::into),
            Self::Boolean { default } => default.map(Into::into),
        }
    }

    /// `text` converted to this type.
    fn parse(&self, text: &str) -> Result<serde_json::Value, String> {
        match self {
            Self::String { .. } | Self::Choice { .. } => Ok(text.into()),
            Self::Integer { .. } => {
                text.trim().parse::<i64>().map(Into::into).map_err(|_| format!("{text:?} is not a whole number"))
            }
            Self::Boolean { .. } => match text.trim() {
                "true" => Ok(true.into()),
                "false" => Ok(false.into()),
                _ => Err(format!("{text:?} is neither true nor false")),
            },
        }
    }

    /// Checks a typed value (given or default) against the bounds.
    fn check(&self, value: &serde_json::Value) -> Result<(), String> {
        match (self, value) {
            (Self::String { .. }, serde_json::Value::String(text)) if text.trim().is_empty() => {
                Err("must not be empty".into())
            }
            (Self::Integer { min, max, .. }, serde_json::Value::Number(number)) => {
                let number = number.as_i64().unwrap_or_default();
                match (min, max) {
                    (Some(min), _) if number < *min => Err(format!("must be at least {min}, not {number}")),
                    (_, Some(max)) if number > *max => Err(format!("must be at most {max}, not {number}")),
                    _ => Ok(()),
                }
            }
            (Self::Choice { values, .. }, serde_json::Value::String(text)) if !values.contains(text) => {
                Err(format!("must be one of {}, not {text:?}", values.join(", ")))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared() -> BTreeMap<String, Parameter> {
        serde_yaml::from_str(
            "port: {type: integer, default: 8080, min: 1, max: 65535}\n\
             tls: {type: boolean, default: true}\n\
             php: {type: choice, values: ['8.2', '8.3'], default: '8.3'}\n\
             site: {type: string, description: the site's title}\n",
        )
        .expect("declarations parse")
    }

    fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn defaults_fill_in_and_values_get_their_types() {
        let values = resolve("web", &declared(), &given(&[("site", "Shop"), ("port", "9000")])).expect("valid");
        assert_eq!(values["port"], 9000);
        assert_eq!(values["tls"], true);
        assert_eq!(values["php"], "8.3");
        assert_eq!(values["site"], "Shop");
    }

    #[test]
    fn bad_values_are_refused_with_the_reason() {
        let cases: [(&[(&str, &str)], &str); 6] = [
            (&[("site", "Shop"), ("port", "0")], "parameter \"port\" of blueprint web: must be at least 1, not 0"),
            (&[("site", "Shop"), ("port", "70000")], "must be at most 65535, not 70000"),
            (&[("site", "Shop"), ("port", "eighty")], "\"eighty\" is not a whole number"),
            (&[("site", "Shop"), ("tls", "yes")], "\"yes\" is neither true nor false"),
            (&[("site", "Shop"), ("php", "7.4")], "must be one of 8.2, 8.3, not \"7.4\""),
            (&[("site", " ")], "must not be empty"),
        ];
        for (values, expected) in cases {
            let error = resolve("web", &declared(), &given(values)).expect_err("refused").to_string();
            assert!(error.contains(expected), "{values:?}: {error}");
        }
    }

    #[test]
    fn unknown_and_missing_parameters_are_named() {
        let unknown = resolve("web", &declared(), &given(&[("site", "S"), ("colour", "red")])).expect_err("unknown");
        assert_eq!(unknown.to_string(), "blueprint web has no parameter \"colour\" (it has: php, port, site, tls)");
        let missing = resolve("web", &declared(), &given(&[])).expect_err("missing");
        assert_eq!(missing.to_string(), "blueprint web needs the parameter \"site\": the site's title");
    }
}
