//! Random bytes from the kernel's random source (tokens, port candidates).

use crate::Result;

/// `len` bytes read from `/dev/urandom`.
pub(crate) fn bytes(len: usize) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = vec![0u8; len];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(crate::error::io("cannot read /dev/urandom"))?;
    Ok(bytes)
}
