//! Finds where each JSON value of a stream begins and ends, without parsing it: the snapshot's
//! items are then parsed from those bytes (serde_json's slice reader, several times faster
//! than its byte-at-a-time stream reader) and on other threads.
//!
//! The framer only follows strings (with their escapes) and brackets; whatever it frames is
//! parsed by serde_json afterwards, which rejects anything that is not JSON. Memory holds the
//! value being framed and one read-ahead chunk.

use std::io::{self, Read};
use std::ops::Range;

/// A stream of bytes, framed value by value.
pub(super) struct Framer<R> {
    reader: R,
    buf: Vec<u8>,
    /// The next byte to look at.
    at: usize,
    /// Bytes read into `buf`.
    end: usize,
    eof: bool,
    /// Lines and columns are counted up to `counted`: `line` (1-based) is the line of that
    /// byte, and `line_start` where it began (relative to `buf`, may be negative).
    counted: usize,
    line: usize,
    line_start: i64,
}

/// Where a byte is, for error messages (1-based, as serde_json reports them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Position {
    pub line: usize,
    pub column: usize,
}

/// Why a value could not be framed.
#[derive(Debug)]
pub(super) enum FrameError {
    Io(io::Error),
    /// The stream ended inside a value; the text names what was open.
    Eof(&'static str, Position),
}

impl From<io::Error> for FrameError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

const CHUNK: usize = 1 << 20;

impl<R: Read> Framer<R> {
    pub(super) fn new(reader: R) -> Self {
        Self {
            reader,
            buf: vec![0; CHUNK],
            at: 0,
            end: 0,
            eof: false,
            counted: 0,
            line: 1,
            line_start: 0,
        }
    }

    /// Reads more bytes behind `end`; false at the end of the stream. Moves the unread bytes
    /// to the front first when the buffer is more than half consumed, so that `at`-relative
    /// positions stay valid only until the next call.
    fn fill(&mut self, keep_from: usize) -> io::Result<(bool, usize)> {
        if self.eof {
            return Ok((false, 0));
        }
        let mut shift = 0;
        if keep_from > self.buf.len() / 2 {
            self.count_to(keep_from);
            self.buf.copy_within(keep_from..self.end, 0);
            shift = keep_from;
            self.end -= keep_from;
            self.at -= keep_from;
            self.counted -= keep_from;
            self.line_start -= keep_from as i64;
        }
        if self.end == self.buf.len() {
            // A value larger than the buffer: grow it.
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok((false, shift));
                }
                Ok(n) => {
                    self.end += n;
                    return Ok((true, shift));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn count_to(&mut self, to: usize) {
        if to <= self.counted {
            return;
        }
        let slice = &self.buf[self.counted..to];
        for newline in memchr::memchr_iter(b'\n', slice) {
            self.line += 1;
            self.line_start = (self.counted + newline + 1) as i64;
        }
        self.counted = to;
    }

    /// Where the next byte is.
    pub(super) fn position(&mut self) -> Position {
        let at = self.at;
        self.position_of(at)
    }

    fn position_of(&mut self, at: usize) -> Position {
        self.count_to(at);
        Position {
            line: self.line,
            column: usize::try_from(at as i64 - self.line_start).unwrap_or(0) + 1,
        }
    }

    /// Skips whitespace and returns the next byte without consuming it; `None` at the end.
    pub(super) fn peek(&mut self) -> io::Result<Option<u8>> {
        loop {
            while self.at < self.end {
                match self.buf[self.at] {
                    b' ' | b'\n' | b'\r' | b'\t' => self.at += 1,
                    b => return Ok(Some(b)),
                }
            }
            if !self.fill(self.at)?.0 {
                return Ok(None);
            }
        }
    }

    /// Consumes one byte (after [`Framer::peek`] returned it).
    pub(super) fn bump(&mut self) {
        self.at += 1;
    }

    /// Frames the value that starts at the next byte (after [`Framer::peek`]), consumes it and
    /// returns its bytes with the position of its first byte.
    pub(super) fn value(&mut self) -> Result<(&[u8], Position), FrameError> {
        let start_position = self.position();
        let mut start = self.at;
        let range = match self.buf[start] {
            b'{' | b'[' => self.container(&mut start)?,
            b'"' => {
                let contents = start + 1;
                let end = self.string_end(&mut start, contents)?;
                start..end
            }
            _ => self.scalar(&mut start)?,
        };
        self.at = range.end;
        Ok((&self.buf[range], start_position))
    }

    /// Grows the window so that index `i` is readable; `start` follows any move.
    fn ensure(
        &mut self,
        start: &mut usize,
        i: &mut usize,
        open: &'static str,
    ) -> Result<(), FrameError> {
        while *i >= self.end {
            let (more, shift) = self.fill(*start)?;
            *start -= shift;
            *i -= shift;
            if !more {
                let end = self.end;
                return Err(FrameError::Eof(open, self.position_of(end)));
            }
        }
        Ok(())
    }

    fn container(&mut self, start: &mut usize) -> Result<Range<usize>, FrameError> {
        let mut depth: usize = 0;
        let mut i = *start;
        loop {
            self.ensure(start, &mut i, "EOF while parsing an object or list")?;
            match self.buf[i] {
                b'"' => {
                    i = self.string_end(start, i + 1)?;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Ok(*start..i + 1);
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }

    /// The index after the closing quote of the string whose contents start at `i`.
    fn string_end(&mut self, start: &mut usize, mut i: usize) -> Result<usize, FrameError> {
        loop {
            self.ensure(start, &mut i, "EOF while parsing a string")?;
            match memchr::memchr2(b'"', b'\\', &self.buf[i..self.end]) {
                Some(k) if self.buf[i + k] == b'"' => return Ok(i + k + 1),
                // A backslash escapes the byte after it, whatever it is.
                Some(k) => i += k + 2,
                None => i = self.end,
            }
        }
    }

    fn scalar(&mut self, start: &mut usize) -> Result<Range<usize>, FrameError> {
        let mut i = *start;
        loop {
            if i >= self.end {
                let (more, shift) = self.fill(*start)?;
                *start -= shift;
                i -= shift;
                if !more {
                    return Ok(*start..i);
                }
            }
            if matches!(
                self.buf[i],
                b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t'
            ) {
                return Ok(*start..i);
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames every value of a top-level list, reading `chunk` bytes at a time.
    fn frame_list(text: &[u8], chunk: usize) -> Result<Vec<(String, Position)>, String> {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut framer = Framer::new(Trickle(text, chunk));
        let mut out = Vec::new();
        assert_eq!(framer.peek().map_err(|e| e.to_string())?, Some(b'['));
        framer.bump();
        loop {
            match framer.peek().map_err(|e| e.to_string())? {
                Some(b']') => return Ok(out),
                Some(b',') => framer.bump(),
                Some(_) => {
                    let (bytes, position) = framer.value().map_err(|e| format!("{e:?}"))?;
                    out.push((String::from_utf8_lossy(bytes).into_owned(), position));
                }
                None => return Err("no ]".into()),
            }
        }
    }

    #[test]
    fn values_are_framed_whatever_the_chunk_size() {
        let text = br#"[{"a": "x}\"]", "b": [1, {"c": "\\"}]}, "s\"q",
 12.5e3 , true,{"deep":[[[[]]]]}, "\u00e9" ]"#;
        let expected = [
            (r#"{"a": "x}\"]", "b": [1, {"c": "\\"}]}"#, 1, 2),
            (r#""s\"q""#, 1, 41),
            ("12.5e3", 2, 2),
            ("true", 2, 11),
            (r#"{"deep":[[[[]]]]}"#, 2, 16),
            (r#""\u00e9""#, 2, 35),
        ];
        for chunk in [1, 2, 3, 7, 64, 4096] {
            let framed = frame_list(text, chunk).expect("framed");
            let got: Vec<(&str, usize, usize)> = framed
                .iter()
                .map(|(t, p)| (t.as_str(), p.line, p.column))
                .collect();
            assert_eq!(got, expected, "chunk {chunk}");
        }
    }

    #[test]
    fn a_value_cut_short_is_an_error_naming_where_the_stream_ended() {
        for (text, open) in [
            (&br#"[{"a": [1, 2"#[..], "object or list"),
            (&b"[\n\"abc"[..], "string"),
            (&br#"["a\"#[..], "string"),
        ] {
            let error = frame_list(text, 3).expect_err("cut short");
            assert!(error.contains(open), "{error}");
        }
        let error = frame_list(b"[\n\n  {\"a\": 1", 2).expect_err("cut short");
        assert!(error.contains("line: 3, column: 10"), "{error}");
    }

    #[test]
    fn a_value_larger_than_the_buffer_grows_it() {
        let big = format!("[{{\"k\": \"{}\"}}]", "x".repeat(3 * CHUNK));
        let framed = frame_list(big.as_bytes(), CHUNK / 3).expect("framed");
        assert_eq!(framed[0].0.len(), big.len() - 2);
    }
}
