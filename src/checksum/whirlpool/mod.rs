//! Whirlpool (ISO/IEC 10118-3): the streaming hasher (buffering, padding) and the choice of a
//! compression function. Two exist: `avx512` (the whole 8x8 state in one vector register) on
//! x86-64 CPUs with AVX-512 VBMI and GFNI, and `scalar` (eight lookup tables) everywhere else.
//! Both take the chaining value as the 64 bytes of the state matrix, row by row.

#[cfg(target_arch = "x86_64")]
mod avx512;
mod scalar;
#[cfg(test)]
mod tests;

/// The mini-boxes of the S-box construction (the ISO standard's E and R).
const E: [u8; 16] = [
    0x1, 0xB, 0x9, 0xC, 0xD, 0x6, 0xF, 0x3, 0xE, 0x8, 0x7, 0x4, 0xA, 0x2, 0x5, 0x0,
];
const R: [u8; 16] = [
    0x7, 0xC, 0xB, 0xD, 0xE, 0x4, 0x9, 0xF, 0x6, 0x3, 0x8, 0xA, 0x2, 0x5, 0x1, 0x0,
];

const fn sbox() -> [u8; 256] {
    let mut e_inv = [0u8; 16];
    let mut i = 0;
    while i < 16 {
        e_inv[E[i] as usize] = i as u8;
        i += 1;
    }
    let mut s = [0u8; 256];
    let mut u = 0;
    while u < 256 {
        let a = E[u >> 4];
        let b = e_inv[u & 0xF];
        let c = R[(a ^ b) as usize];
        s[u] = (E[(a ^ c) as usize] << 4) | e_inv[(b ^ c) as usize];
        u += 1;
    }
    s
}

/// The S-box.
const S: [u8; 256] = sbox();

/// The first row of MixRows' circulant matrix: row i of the output is sum_k a[i][k] * C[(j-k)%8].
const C: [u8; 8] = [1, 1, 4, 1, 8, 5, 2, 9];

/// Rounds of the block cipher W.
const ROUNDS: usize = 10;

/// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1.
const fn gmul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            p ^= a;
        }
        let carry = a & 0x80 != 0;
        a <<= 1;
        if carry {
            a ^= 0x1D;
        }
        b >>= 1;
    }
    p
}

/// Whether the environment asks for the scalar compression function (`FICHIER_WHIRLPOOL=scalar`).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // only x86-64 has a choice
fn forced_scalar() -> bool {
    std::env::var_os("FICHIER_WHIRLPOOL").is_some_and(|v| v.eq_ignore_ascii_case("scalar"))
}

/// A compression function: runs `blocks` through Miyaguchi-Preneel from the chaining value `h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx512(avx512::Avx512),
}

impl Backend {
    /// The fastest this CPU runs; the detection is done once per process.
    /// `FICHIER_WHIRLPOOL=scalar` forces the scalar one, for benchmarks (and a way out should a
    /// CPU or hypervisor misreport its features).
    fn best() -> Backend {
        #[cfg(target_arch = "x86_64")]
        {
            static DETECTED: std::sync::OnceLock<Option<avx512::Avx512>> =
                std::sync::OnceLock::new();
            let detected = DETECTED.get_or_init(|| {
                if forced_scalar() {
                    None
                } else {
                    avx512::Avx512::detect()
                }
            });
            if let Some(token) = *detected {
                return Backend::Avx512(token);
            }
        }
        Backend::Scalar
    }

    fn compress(self, h: &mut [u8; 64], blocks: &[[u8; 64]]) {
        match self {
            Backend::Scalar => scalar::compress(h, blocks),
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512(token) => token.compress(h, blocks),
        }
    }
}

#[derive(Clone)]
pub struct Whirlpool {
    /// The chaining value: the state matrix, row by row.
    h: [u8; 64],
    buf: [u8; 64],
    buf_len: usize,
    /// Bytes hashed so far (the 256-bit length field holds bits; 2^64 bytes is out of reach).
    len: u64,
    backend: Backend,
}

impl Default for Whirlpool {
    fn default() -> Self {
        Self::new()
    }
}

impl Whirlpool {
    /// A hasher on the fastest compression function this CPU runs.
    pub fn new() -> Self {
        Self::with_backend(Backend::best())
    }

    /// A hasher on the portable table-driven compression function, whatever the CPU: for
    /// benchmarks and tests that compare the two.
    pub fn scalar() -> Self {
        Self::with_backend(Backend::Scalar)
    }

    /// Whether this hasher runs on the vector (AVX-512) compression function.
    pub fn is_vectorized(&self) -> bool {
        self.backend != Backend::Scalar
    }

    fn with_backend(backend: Backend) -> Self {
        Whirlpool {
            h: [0; 64],
            buf: [0; 64],
            buf_len: 0,
            len: 0,
            backend,
        }
    }

    pub fn update(&mut self, mut data: &[u8]) {
        self.len += data.len() as u64;
        if self.buf_len > 0 {
            let take = (64 - self.buf_len).min(data.len());
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(&data[..take]);
            self.buf_len += take;
            data = &data[take..];
            if self.buf_len < 64 {
                return;
            }
            let block = self.buf;
            self.backend.compress(&mut self.h, &[block]);
            self.buf_len = 0;
        }
        let (blocks, rest) = data.as_chunks::<64>();
        if !blocks.is_empty() {
            self.backend.compress(&mut self.h, blocks);
        }
        self.buf[..rest.len()].copy_from_slice(rest);
        self.buf_len = rest.len();
    }

    pub fn finalize(mut self) -> [u8; 64] {
        let bits = (self.len as u128) * 8;
        let mut pad = [0u8; 128];
        pad[0] = 0x80;
        // Pad to 32 bytes short of a block, then a 256-bit big-endian length.
        let used = self.buf_len;
        let pad_len = if used < 32 { 32 - used } else { 96 - used };
        let len_field_start = pad_len + 16; // the top 16 bytes of the 32-byte length stay zero
        pad[len_field_start..len_field_start + 16].copy_from_slice(&bits.to_be_bytes());
        let total = pad_len + 32;
        self.update(&pad[..total]);
        debug_assert_eq!(self.buf_len, 0);
        self.h
    }
}
