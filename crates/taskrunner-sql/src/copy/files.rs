//! Local files of a copy: input readers (gunzipped when asked) and the
//! output writer (gzipped when asked).

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

use super::error::CopyError;

/// Buffer size of file readers and writers.
const BUFFER: usize = 256 * 1024;

/// Opens `path` for reading, decompressing gzip when `gzip`.
pub(crate) fn open_input(path: &Path, gzip: bool) -> Result<Box<dyn BufRead + Send>, CopyError> {
    let file = File::open(path).map_err(|error| CopyError::scratch(path, error))?;
    Ok(if gzip {
        Box::new(BufReader::with_capacity(BUFFER, MultiGzDecoder::new(file)))
    } else {
        Box::new(BufReader::with_capacity(BUFFER, file))
    })
}

/// An output file, plain or gzip.
#[derive(Debug)]
pub(crate) enum Output {
    Plain(BufWriter<File>),
    Gzip(GzEncoder<BufWriter<File>>),
}

impl Output {
    /// Creates `path`, compressing with gzip when `gzip`.
    pub(crate) fn create(path: &Path, gzip: bool) -> Result<Self, CopyError> {
        let file = File::create(path).map_err(|error| CopyError::scratch(path, error))?;
        let file = BufWriter::with_capacity(BUFFER, file);
        Ok(if gzip {
            Self::Gzip(GzEncoder::new(file, Compression::default()))
        } else {
            Self::Plain(file)
        })
    }

    /// Writes the gzip trailer (if any) and flushes.
    pub(crate) fn finish(self) -> io::Result<()> {
        match self {
            Self::Plain(mut file) => file.flush(),
            Self::Gzip(encoder) => encoder.finish()?.flush(),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(file) => file.write(buf),
            Self::Gzip(encoder) => encoder.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(file) => file.flush(),
            Self::Gzip(encoder) => encoder.flush(),
        }
    }
}
