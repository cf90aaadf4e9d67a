//! CSV: the line splitter the abuse.ch parsers share, and generic CSV with a header row.
//!
//! Generic CSV: the first line that is not blank or a `#` comment is the header. Columns are
//! recognised by name, case-insensitively (spaces and `-` count as `_`):
//!
//! | kind | names |
//! |---|---|
//! | IP (an address or CIDR) | `ip`, `ip_address`, `ipaddress`, `ip_addr`, `address`, `addr`, `src_ip`, `source_ip`, `dst_ip`, `ipv4`, `ipv6`, `host` |
//! | CIDR (a network or address) | `cidr`, `network`, `prefix`, `subnet`, `netblock`, `net`, `range`, `ip_range` |
//! | ASN (`13335` or `AS13335`) | `asn`, `as`, `asnum`, `as_number`, `autonomous_system` |
//! | country (two letters) | `country`, `country_code`, `countrycode`, `cc`, `iso_code` |
//! | comment | `comment`, `description`, `reason`, `note`, `notes`, `threat`, `malware`, `category`, `tags` |
//!
//! Every recognised column of a row gives one indicator. The delimiter is `,`, or tab or `;` when
//! the header has those and no comma. Quoted fields may hold delimiters and `""`.

use super::{
    numbered, parse_asn, parse_country, parse_ip_or_cidr, FeedFormat, IndicatorValue, ParsedFeed,
};

/// Splits one CSV line into fields, unquoting `"..."` (with `""` for a quote) and trimming the
/// spaces around fields (ThreatFox writes `"a", "b"`).
pub(super) fn split_line(line: &str, delimiter: char) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars
            .peek()
            .is_some_and(|c| *c == ' ' || (*c == '\t' && delimiter != '\t'))
        {
            chars.next();
        }
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("unterminated quoted field".to_string()),
                }
            }
            while chars
                .peek()
                .is_some_and(|c| *c == ' ' || (*c == '\t' && delimiter != '\t'))
            {
                chars.next();
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(c) if c == delimiter => fields.push(field),
                Some(c) => {
                    return Err(format!(
                        "unexpected {c:?} after a quoted field (expected {delimiter:?})"
                    ))
                }
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field.trim_end().to_string());
                        return Ok(fields);
                    }
                    Some(c) if c == delimiter => break,
                    Some(c) => field.push(c),
                }
            }
            fields.push(field.trim_end().to_string());
        }
    }
}

/// The column names of an abuse.ch CSV header, written as a `#` comment or as a plain line:
/// `# "first_seen_utc","dst_ip",...`. `None` when the line is not a header naming `key`.
pub(super) fn header_naming(line: &str, key: &str) -> Option<Vec<String>> {
    let body = line.trim_start().trim_start_matches('#');
    let names = split_line(body, ',').ok()?;
    let names: Vec<String> = names
        .iter()
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    names.iter().any(|n| n == key).then_some(names)
}

/// The index of a named column.
pub(super) fn column(names: &[String], name: &str) -> Option<usize> {
    names.iter().position(|n| n == name)
}

/// One data row of an abuse.ch CSV export, read by column name.
pub(super) struct AbuseChRow<'a> {
    names: &'a [String],
    fields: Vec<String>,
    /// Values that mean "no value" besides the empty string (ThreatFox writes `None`).
    empty: &'a [&'a str],
}

impl AbuseChRow<'_> {
    /// The value of a named column; `None` when the column is missing or empty.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        column(self.names, name)
            .and_then(|i| self.fields.get(i))
            .map(String::as_str)
            .filter(|v| !v.is_empty() && !self.empty.contains(v))
    }
}

/// Walks an abuse.ch CSV export: `#` comments and blank lines are skipped, a header line naming
/// `key` (plain or commented) replaces `defaults` as the column names, a line that does not split
/// is an error in `feed`, and every data row goes to `row` with its line number and text.
pub(super) fn for_each_abuse_ch_row(
    feed: &mut ParsedFeed,
    text: &str,
    defaults: &[&str],
    key: &str,
    empty: &[&str],
    mut row: impl FnMut(&mut ParsedFeed, usize, &str, &AbuseChRow<'_>),
) {
    let mut names: Vec<String> = defaults.iter().map(|s| s.to_string()).collect();
    for (line_no, line) in numbered(text) {
        let trimmed = line.trim();
        if let Some(header) = header_naming(trimmed, key) {
            names = header;
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match split_line(trimmed, ',') {
            Ok(fields) => row(
                feed,
                line_no,
                line,
                &AbuseChRow {
                    names: &names,
                    fields,
                    empty,
                },
            ),
            Err(message) => feed.error(line_no, message, line),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Ip,
    Cidr,
    Asn,
    Country,
    Comment,
    Other,
}

fn classify(name: &str) -> Column {
    let key = name.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    match key.as_str() {
        "ip" | "ip_address" | "ipaddress" | "ip_addr" | "address" | "addr" | "src_ip"
        | "source_ip" | "dst_ip" | "ipv4" | "ipv6" | "host" => Column::Ip,
        "cidr" | "network" | "prefix" | "subnet" | "netblock" | "net" | "range" | "ip_range" => {
            Column::Cidr
        }
        "asn" | "as" | "asnum" | "as_number" | "autonomous_system" => Column::Asn,
        "country" | "country_code" | "countrycode" | "cc" | "iso_code" => Column::Country,
        "comment" | "description" | "reason" | "note" | "notes" | "threat" | "malware"
        | "category" | "tags" => Column::Comment,
        _ => Column::Other,
    }
}

pub(super) fn parse(text: &str) -> ParsedFeed {
    let mut feed = ParsedFeed::new(FeedFormat::Csv, text);
    let mut header: Option<(char, Vec<Column>)> = None;
    for (line_no, line) in numbered(text) {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((delimiter, columns)) = &header else {
            let delimiter = if !line.contains(',') && line.contains('\t') {
                '\t'
            } else if !line.contains(',') && line.contains(';') {
                ';'
            } else {
                ','
            };
            let names = match split_line(line, delimiter) {
                Ok(names) => names,
                Err(message) => {
                    feed.error(line_no, format!("header: {message}"), line);
                    return feed;
                }
            };
            let columns: Vec<Column> = names.iter().map(|n| classify(n)).collect();
            if !columns
                .iter()
                .any(|c| matches!(c, Column::Ip | Column::Cidr | Column::Asn | Column::Country))
            {
                feed.error(
                    line_no,
                    "the header names no IP, CIDR, ASN or country column (e.g. `ip`, `cidr`, `asn`, `country`); nothing can be read",
                    line,
                );
                return feed;
            }
            header = Some((delimiter, columns));
            continue;
        };
        let fields = match split_line(line, *delimiter) {
            Ok(fields) => fields,
            Err(message) => {
                feed.error(line_no, message, line);
                continue;
            }
        };
        let comment = columns
            .iter()
            .zip(&fields)
            .filter(|(c, v)| **c == Column::Comment && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let comment = (!comment.is_empty()).then_some(comment);
        let mut found = 0;
        let mut problems = Vec::new();
        for (column, value) in columns.iter().zip(&fields) {
            if value.is_empty() {
                continue;
            }
            let parsed = match column {
                Column::Ip | Column::Cidr => parse_ip_or_cidr(value),
                Column::Asn => parse_asn(value).map(IndicatorValue::Asn),
                Column::Country => parse_country(value).map(IndicatorValue::Country),
                Column::Comment | Column::Other => continue,
            };
            match parsed {
                Ok(v) => {
                    found += 1;
                    feed.push(v, line_no, comment.clone());
                }
                Err(message) => problems.push(message),
            }
        }
        if !problems.is_empty() {
            feed.error(line_no, problems.join("; "), line);
        } else if found == 0 {
            feed.error(
                line_no,
                "no IP, CIDR, ASN or country value in this row",
                line,
            );
        }
    }
    feed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitter_handles_quotes_spaces_and_errors() {
        assert_eq!(
            split_line(r#""a", "b,c" ,d, "e""f""#, ',').unwrap(),
            ["a", "b,c", "d", "e\"f"]
        );
        assert_eq!(split_line("a,,b,", ',').unwrap(), ["a", "", "b", ""]);
        assert_eq!(split_line("a\tb c\t", '\t').unwrap(), ["a", "b c", ""]);
        assert!(split_line(r#""open"#, ',').is_err());
        assert!(split_line(r#""a"x,b"#, ',').is_err());
    }

    #[test]
    fn header_detection_is_case_insensitive() {
        let text = "# exported 2026-11-01\nIP Address,ASN,Country Code,Reason,first seen\n45.155.205.7,AS206728,NL,scanner,2026-10-30\n,,ru,geo policy,\n91.92.109.0/24,,,brute force,\n";
        let feed = parse(text);
        let values: Vec<String> = feed
            .indicators
            .iter()
            .map(|i| i.value.to_string())
            .collect();
        assert_eq!(
            values,
            ["45.155.205.7", "AS206728", "NL", "RU", "91.92.109.0/24"]
        );
        assert_eq!(feed.indicators[0].line, 3);
        assert_eq!(feed.indicators[0].comment.as_deref(), Some("scanner"));
        assert_eq!(feed.error_count, 0);
    }

    #[test]
    fn bad_rows_and_a_useless_header() {
        let text = "cidr;note\n45.155.205.0/24;x\nnot-a-net;y\n;z\n\"open;w\n";
        let feed = parse(text);
        assert_eq!(feed.indicators.len(), 1);
        let lines: Vec<usize> = feed.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5]);
        let feed = parse("name,value\na,b\n");
        assert_eq!(feed.error_count, 1);
        assert!(feed.errors[0].message.contains("names no IP"));
    }
}
