//! A strict reader of the Prometheus text exposition format 0.0.4, for tests: every line must
//! be a `# HELP`, a `# TYPE`, another comment, or a sample of a family whose `# TYPE` came
//! before; label values may use only the `\\`, `\"` and `\n` escapes; values must be Go floats.
//! Shared by the core unit tests and `cli/tests/watch.rs` (included by path).

use std::collections::BTreeMap;

/// One sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// What a valid exposition holds.
#[derive(Debug, Default)]
pub struct Exposition {
    pub help: BTreeMap<String, String>,
    pub types: BTreeMap<String, String>,
    pub samples: Vec<Sample>,
}

impl Exposition {
    /// The value of the one sample of `name` with exactly these labels.
    #[allow(dead_code)]
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let want: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let found: Vec<f64> = self
            .samples
            .iter()
            .filter(|s| s.name == name && s.labels == want)
            .map(|s| s.value)
            .collect();
        assert!(
            found.len() <= 1,
            "{name} {labels:?} appears {} times",
            found.len()
        );
        found.first().copied()
    }
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

fn parse_value(text: &str) -> Result<f64, String> {
    match text {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ if text
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) =>
        {
            text.parse::<f64>()
                .map_err(|e| format!("value {text:?}: {e}"))
        }
        _ => Err(format!("value {text:?} is not a float")),
    }
}

/// Reads `{a="b",c="d"}` from the start of `text`; returns the labels and the rest.
fn parse_labels(text: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    let mut labels = BTreeMap::new();
    let mut rest = text.strip_prefix('{').ok_or("expected {")?;
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((labels, after));
        }
        let eq = rest.find('=').ok_or("label without =")?;
        let name = &rest[..eq];
        if !is_label_name(name) {
            return Err(format!("bad label name {name:?}"));
        }
        rest = rest[eq + 1..]
            .strip_prefix('"')
            .ok_or("label value must be quoted")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next() {
                None => return Err("unterminated label value".into()),
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, 'n')) => value.push('\n'),
                    other => return Err(format!("bad escape {other:?} in label value")),
                },
                Some((_, '\n')) => return Err("raw newline in label value".into()),
                Some((_, c)) => value.push(c),
            }
        };
        if labels.insert(name.to_owned(), value).is_some() {
            return Err(format!("label {name} repeated"));
        }
        rest = &rest[end + 1..];
        if let Some(after) = rest.strip_prefix(',') {
            rest = after;
        } else if !rest.starts_with('}') {
            return Err("expected , or } after a label".into());
        }
    }
}

/// Parses `text` strictly; the error names the line.
pub fn parse(text: &str) -> Result<Exposition, String> {
    if !text.is_empty() && !text.ends_with('\n') {
        return Err("the exposition must end with a line feed".into());
    }
    let mut out = Exposition::default();
    let mut finished: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        let fail = |m: String| format!("line {}: {m}: {line:?}", n + 1);
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest
                .split_once(' ')
                .ok_or_else(|| fail("HELP without text".into()))?;
            if !is_metric_name(name) {
                return Err(fail("bad metric name".into()));
            }
            let mut chars = help.chars();
            while let Some(c) = chars.next() {
                if c == '\\' && !matches!(chars.next(), Some('\\' | 'n')) {
                    return Err(fail("bad escape in HELP".into()));
                }
            }
            if out.help.insert(name.to_owned(), help.to_owned()).is_some() {
                return Err(fail("HELP repeated".into()));
            }
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest
                .split_once(' ')
                .ok_or_else(|| fail("TYPE without type".into()))?;
            if !is_metric_name(name) {
                return Err(fail("bad metric name".into()));
            }
            if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                return Err(fail(format!("unknown type {kind}")));
            }
            if out.samples.iter().any(|s| s.name == name) {
                return Err(fail("TYPE after samples".into()));
            }
            if out.types.insert(name.to_owned(), kind.to_owned()).is_some() {
                return Err(fail("TYPE repeated".into()));
            }
        } else if line.starts_with('#') {
            continue;
        } else if line.trim().is_empty() {
            return Err(fail("blank line".into()));
        } else {
            let name_end = line
                .find(['{', ' '])
                .ok_or_else(|| fail("sample without value".into()))?;
            let name = &line[..name_end];
            if !is_metric_name(name) {
                return Err(fail("bad metric name".into()));
            }
            if !out.types.contains_key(name) || !out.help.contains_key(name) {
                return Err(fail("sample before its HELP and TYPE".into()));
            }
            let (labels, rest) = if line[name_end..].starts_with('{') {
                parse_labels(&line[name_end..]).map_err(fail)?
            } else {
                (BTreeMap::new(), &line[name_end..])
            };
            let rest = rest
                .strip_prefix(' ')
                .ok_or_else(|| fail("expected a space before the value".into()))?;
            let mut parts = rest.split(' ');
            let value = parse_value(parts.next().unwrap_or_default()).map_err(fail)?;
            if let Some(ts) = parts.next() {
                ts.parse::<i64>()
                    .map_err(|_| fail("bad timestamp".into()))?;
            }
            if parts.next().is_some() {
                return Err(fail("trailing text".into()));
            }
            if current.as_deref() != Some(name) {
                if finished.iter().any(|f| f == name) {
                    return Err(fail("samples of a family must be contiguous".into()));
                }
                if let Some(previous) = current.replace(name.to_owned()) {
                    finished.push(previous);
                }
            }
            if out
                .samples
                .iter()
                .any(|s| s.name == name && s.labels == labels)
            {
                return Err(fail("duplicate series".into()));
            }
            out.samples.push(Sample {
                name: name.to_owned(),
                labels,
                value,
            });
        }
    }
    Ok(out)
}
