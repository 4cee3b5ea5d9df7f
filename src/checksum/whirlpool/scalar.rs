//! Whirlpool's compression function in portable code: eight 2 KiB lookup tables built at compile
//! time, rounds unrolled in "scatter" form. The fallback where `avx512` cannot run.
//!
//! Each table lookup costs a load, and the loads are the bottleneck; the scatter form keeps the
//! eight accumulators and one source word in registers, so no extra loads come from spills. This
//! runs at about 290 to 340 MB/s of CPU time here, 0.9 to 1.05 of rhash and 1.4x the RustCrypto
//! crate (benches/whirlpool.rs).

use super::{C, ROUNDS, S, gmul};

/// Table k maps a byte x to row (S[x] * C) of MixRows rotated right by k bytes; word i of the
/// state is row i, its first byte the most significant.
const fn tables() -> [[u64; 256]; 8] {
    let mut t = [[0u64; 256]; 8];
    let mut x = 0;
    while x < 256 {
        let mut v = 0u64;
        let mut j = 0;
        while j < 8 {
            v = (v << 8) | gmul(S[x], C[j]) as u64;
            j += 1;
        }
        let mut k = 0;
        while k < 8 {
            t[k][x] = v.rotate_right(8 * k as u32);
            k += 1;
        }
        x += 1;
    }
    t
}

static T: [[u64; 256]; 8] = tables();

const fn round_constants() -> [u64; ROUNDS] {
    let mut rc = [0u64; ROUNDS];
    let mut r = 0;
    while r < ROUNDS {
        let mut v = 0u64;
        let mut j = 0;
        while j < 8 {
            v = (v << 8) | S[8 * r + j] as u64;
            j += 1;
        }
        rc[r] = v;
        r += 1;
    }
    rc
}

const RC: [u64; ROUNDS] = round_constants();

#[inline(always)]
fn round(k: &[u64; 8]) -> [u64; 8] {
    // Scatter form: byte j of word i feeds column (i + j) % 8 through table j, so only eight
    // accumulators and one source word are live at a time.
    let mut o = [0u64; 8];
    macro_rules! word {
        ($i:expr) => {{
            let w = k[$i];
            o[$i % 8] ^= T[0][(w >> 56) as usize];
            o[($i + 1) % 8] ^= T[1][((w >> 48) & 0xFF) as usize];
            o[($i + 2) % 8] ^= T[2][((w >> 40) & 0xFF) as usize];
            o[($i + 3) % 8] ^= T[3][((w >> 32) & 0xFF) as usize];
            o[($i + 4) % 8] ^= T[4][((w >> 24) & 0xFF) as usize];
            o[($i + 5) % 8] ^= T[5][((w >> 16) & 0xFF) as usize];
            o[($i + 6) % 8] ^= T[6][((w >> 8) & 0xFF) as usize];
            o[($i + 7) % 8] ^= T[7][(w & 0xFF) as usize];
        }};
    }
    word!(0);
    word!(1);
    word!(2);
    word!(3);
    word!(4);
    word!(5);
    word!(6);
    word!(7);
    o
}

/// The state matrix as eight big-endian rows.
fn words(bytes: &[u8; 64]) -> [u64; 8] {
    let (rows, _) = bytes.as_chunks::<8>();
    std::array::from_fn(|i| u64::from_be_bytes(rows[i]))
}

fn compress_block(h: &mut [u64; 8], block: &[u8; 64]) {
    let m = words(block);
    let mut k = *h;
    let mut state = [0u64; 8];
    for i in 0..8 {
        state[i] = m[i] ^ k[i];
    }
    for rc in RC {
        k = round(&k);
        k[0] ^= rc;
        let s = round(&state);
        for i in 0..8 {
            state[i] = s[i] ^ k[i];
        }
    }
    for i in 0..8 {
        h[i] ^= state[i] ^ m[i];
    }
}

pub(super) fn compress(h_bytes: &mut [u8; 64], blocks: &[[u8; 64]]) {
    let mut h = words(h_bytes);
    for block in blocks {
        compress_block(&mut h, block);
    }
    for (out, w) in h_bytes.as_chunks_mut::<8>().0.iter_mut().zip(h) {
        *out = w.to_be_bytes();
    }
}
