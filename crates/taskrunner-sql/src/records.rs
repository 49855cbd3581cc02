//! Reading and writing records in a [`DataFormat`], one at a time, so
//! that memory does not grow with the data.

use std::io::{self, BufRead, Write};

use crate::format::DataFormat;

/// One record: its fields (`None` is SQL `NULL`) and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The 1-based line (record) number in its file.
    pub line: u64,
    /// The fields.
    pub fields: Vec<Option<String>>,
}

/// A record does not fit its format, or the file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// A malformed record. Fix the data (or the data node's `dataFormat`).
    #[error("{file}, line {line}: {reason}")]
    Bad {
        /// The file (its URI or name).
        file: String,
        /// The 1-based line the record starts on.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// Reading or writing failed.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

/// Reads the records of one file.
#[derive(Debug)]
pub struct RecordReader<R> {
    input: R,
    format: DataFormat,
    file: String,
    /// The line the next record starts on.
    line: u64,
    /// Fields every record must have: the format's `column` count, else the
    /// first record's.
    expected: Option<usize>,
    /// Reused between records.
    raw: Vec<u8>,
}

/// How far a raw record parsed.
enum Parsed {
    Done(Vec<Option<String>>),
    /// Ends inside a quote or after an escape: the record goes on past the
    /// record separator.
    Incomplete,
}

impl<R: BufRead> RecordReader<R> {
    /// A reader of `input`, named `file` in errors.
    pub fn new(input: R, format: DataFormat, file: impl Into<String>) -> Self {
        let expected = (!format.columns.is_empty()).then_some(format.columns.len());
        Self {
            input,
            format,
            file: file.into(),
            line: 1,
            expected,
            raw: Vec::new(),
        }
    }

    /// The next record; `None` at the end. Empty records are skipped.
    ///
    /// # Errors
    ///
    /// [`RecordError::Bad`] with the line number for a malformed record or a
    /// wrong field count.
    pub fn next_record(&mut self) -> Result<Option<Record>, RecordError> {
        loop {
            self.raw.clear();
            let start = self.line;
            loop {
                let read = self
                    .input
                    .read_until(self.format.record_separator, &mut self.raw)
                    .map_err(|source| RecordError::Io {
                        file: self.file.clone(),
                        source,
                    })?;
                let at_end = read == 0 || self.raw.last() != Some(&self.format.record_separator);
                if !at_end {
                    self.line += 1;
                }
                let body = record_body(&self.raw, &self.format, at_end);
                if read == 0 && self.raw.is_empty() {
                    return Ok(None);
                }
                match parse(body, &self.format).map_err(|reason| self.bad(start, reason))? {
                    Parsed::Done(fields) => {
                        if fields.len() == 1 && fields[0].is_none() && body.is_empty() {
                            break;
                        }
                        return self.checked(start, fields).map(Some);
                    }
                    Parsed::Incomplete if at_end => {
                        return Err(self.bad(
                            start,
                            "the record ends inside a quoted field or after an escape character"
                                .to_owned(),
                        ))
                    }
                    Parsed::Incomplete => {}
                }
            }
        }
    }

    fn checked(&mut self, line: u64, fields: Vec<Option<String>>) -> Result<Record, RecordError> {
        let expected = *self.expected.get_or_insert(fields.len());
        if fields.len() != expected {
            return Err(self.bad(
                line,
                format!("{} fields where {expected} were expected", fields.len()),
            ));
        }
        Ok(Record { line, fields })
    }

    fn bad(&self, line: u64, reason: String) -> RecordError {
        RecordError::Bad {
            file: self.file.clone(),
            line,
            reason,
        }
    }
}

impl<R: BufRead> Iterator for RecordReader<R> {
    type Item = Result<Record, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}

/// The raw record without its final separator (and a CSV `\r` before it).
fn record_body<'a>(raw: &'a [u8], format: &DataFormat, at_end: bool) -> &'a [u8] {
    let mut body = raw;
    if !at_end {
        body = &body[..body.len() - 1];
    }
    if format.quotes && format.record_separator == b'\n' {
        body = body.strip_suffix(b"\r").unwrap_or(body);
    }
    body
}

fn parse(body: &[u8], format: &DataFormat) -> Result<Parsed, String> {
    // Most records have neither quotes nor escapes: split them directly.
    let plain = !body
        .iter()
        .any(|byte| Some(*byte) == format.escape || (format.quotes && *byte == b'"'));
    if plain {
        return body
            .split(|byte| *byte == format.column_separator)
            .map(|field| finish(&mut field.to_vec(), false))
            .collect::<Result<_, _>>()
            .map(Parsed::Done);
    }
    let mut fields = Vec::new();
    let mut field = Vec::new();
    let mut quoted = false;
    let mut in_quote = false;
    let mut field_start = true;
    let mut index = 0;
    while index < body.len() {
        let byte = body[index];
        index += 1;
        if in_quote {
            if byte == b'"' {
                if body.get(index) == Some(&b'"') {
                    field.push(b'"');
                    index += 1;
                } else {
                    in_quote = false;
                }
            } else {
                field.push(byte);
            }
            continue;
        }
        if field_start && format.quotes && byte == b'"' {
            quoted = true;
            in_quote = true;
            field_start = false;
            continue;
        }
        field_start = false;
        if byte == format.column_separator {
            fields.push(finish(&mut field, quoted)?);
            quoted = false;
            field_start = true;
        } else if quoted {
            return Err("text after the closing quote of a field".to_owned());
        } else if Some(byte) == format.escape {
            match body.get(index) {
                Some(&next) => {
                    field.push(next);
                    index += 1;
                }
                None => return Ok(Parsed::Incomplete),
            }
        } else {
            field.push(byte);
        }
    }
    if in_quote {
        return Ok(Parsed::Incomplete);
    }
    fields.push(finish(&mut field, quoted)?);
    Ok(Parsed::Done(fields))
}

fn finish(field: &mut Vec<u8>, quoted: bool) -> Result<Option<String>, String> {
    if field.is_empty() && !quoted {
        return Ok(None);
    }
    String::from_utf8(std::mem::take(field))
        .map(Some)
        .map_err(|_| "a field is not valid UTF-8".to_owned())
}

/// Writes records in a [`DataFormat`].
#[derive(Debug)]
pub struct RecordWriter<W> {
    output: W,
    format: DataFormat,
    written: u64,
}

impl<W: Write> RecordWriter<W> {
    /// A writer to `output`.
    pub fn new(output: W, format: DataFormat) -> Self {
        Self {
            output,
            format,
            written: 0,
        }
    }

    /// Writes one record.
    ///
    /// # Errors
    ///
    /// An I/O error, or `InvalidData` when a `Custom` format cannot hold a
    /// value (it contains a separator and there is no escape character).
    pub fn write(&mut self, fields: &[Option<String>]) -> io::Result<()> {
        self.written += 1;
        for (index, field) in fields.iter().enumerate() {
            if index > 0 {
                self.output.write_all(&[self.format.column_separator])?;
            }
            if let Some(value) = field {
                self.write_value(value.as_bytes())?;
            }
        }
        self.output.write_all(&[self.format.record_separator])
    }

    fn write_value(&mut self, value: &[u8]) -> io::Result<()> {
        let special = |byte: &u8| {
            *byte == self.format.column_separator
                || *byte == self.format.record_separator
                || Some(*byte) == self.format.escape
                || (self.format.quotes && (*byte == b'"' || *byte == b'\r'))
        };
        if self.format.quotes && (value.is_empty() || value.iter().any(special)) {
            self.output.write_all(b"\"")?;
            for (index, part) in value.split(|byte| *byte == b'"').enumerate() {
                if index > 0 {
                    self.output.write_all(b"\"\"")?;
                }
                self.output.write_all(part)?;
            }
            return self.output.write_all(b"\"");
        }
        if !value.iter().any(special) {
            return self.output.write_all(value);
        }
        let Some(escape) = self.format.escape else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "record {}: a value contains a separator, which this format cannot escape",
                    self.written
                ),
            ));
        };
        let mut start = 0;
        for (index, byte) in value.iter().enumerate() {
            if special(byte) {
                self.output.write_all(&value[start..index])?;
                self.output.write_all(&[escape])?;
                start = index;
            }
        }
        self.output.write_all(&value[start..])
    }

    /// Records written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flushes and returns the output.
    ///
    /// # Errors
    ///
    /// The flush's I/O error.
    pub fn finish(mut self) -> io::Result<W> {
        self.output.flush()?;
        Ok(self.output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, format: DataFormat) -> Result<Vec<Vec<Option<String>>>, RecordError> {
        RecordReader::new(text.as_bytes(), format, "f")
            .map(|record| record.map(|record| record.fields))
            .collect()
    }

    fn some(values: &[&str]) -> Vec<Option<String>> {
        values.iter().map(|v| Some((*v).to_owned())).collect()
    }

    #[test]
    fn csv_quotes_escapes_and_nulls() {
        let rows = read(
            "a,\"b,\"\"c\"\"\",d\\,e\r\n,\"\",x\n\n\"multi\nline\",y,z",
            DataFormat::default(),
        )
        .expect("read");
        assert_eq!(rows[0], some(&["a", "b,\"c\"", "d,e"]));
        assert_eq!(
            rows[1],
            vec![None, Some(String::new()), Some("x".to_owned())]
        );
        assert_eq!(rows[2], some(&["multi\nline", "y", "z"]));
    }

    #[test]
    fn bad_records_name_their_line() {
        let error = read("a,b\nc,d\ne\n", DataFormat::default()).expect_err("count");
        assert_eq!(
            error.to_string(),
            "f, line 3: 1 fields where 2 were expected"
        );
        let error = read("a,b\n\"c,d\n", DataFormat::default()).expect_err("quote");
        assert!(
            error
                .to_string()
                .starts_with("f, line 2: the record ends inside"),
            "{error}"
        );
        let error = read("\"a\"b,c\n", DataFormat::default()).expect_err("after quote");
        assert!(error.to_string().contains("line 1"), "{error}");
    }

    #[test]
    fn writes_what_it_reads() {
        let formats = [
            DataFormat::default(),
            DataFormat {
                column_separator: b'\t',
                quotes: false,
                ..DataFormat::default()
            },
        ];
        let rows = vec![
            some(&["plain", "with,comma", "tab\there"]),
            vec![
                None,
                Some("line\nbreak".to_owned()),
                Some("back\\slash \"q\"".to_owned()),
            ],
        ];
        for format in formats {
            let mut writer = RecordWriter::new(Vec::new(), format.clone());
            for row in &rows {
                writer.write(row).expect("write");
            }
            let text = String::from_utf8(writer.finish().expect("finish")).expect("utf8");
            assert_eq!(read(&text, format).expect("read back"), rows, "{text}");
        }
    }

    #[test]
    fn custom_cannot_hold_its_separator() {
        let format = DataFormat {
            column_separator: b'|',
            escape: None,
            quotes: false,
            ..DataFormat::default()
        };
        let mut writer = RecordWriter::new(Vec::new(), format);
        assert!(writer.write(&some(&["a|b"])).is_err());
    }
}
