//! The two compression functions against each other, and the hasher on each of them against the
//! ISO vectors and the RustCrypto crate, at every length and split.

use super::{Backend, Whirlpool};
use ::whirlpool::Digest;

/// The vector backend, when this CPU runs it (whatever FICHIER_WHIRLPOOL says); says so on stderr
/// when it does not.
fn vector_backend() -> Option<Backend> {
    #[cfg(target_arch = "x86_64")]
    if let Some(token) = super::avx512::Avx512::detect() {
        return Some(Backend::Avx512(token));
    }
    eprintln!("no AVX-512 VBMI + GFNI on this CPU: the vector whirlpool is not tested here");
    None
}

/// Every backend this CPU runs, scalar first.
fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::Scalar];
    all.extend(vector_backend());
    all
}

fn hex_digest(backend: Backend, pieces: &[&[u8]]) -> String {
    let mut h = Whirlpool::with_backend(backend);
    for piece in pieces {
        h.update(piece);
    }
    hex::encode(h.finalize())
}

fn reference(data: &[u8]) -> String {
    hex::encode(::whirlpool::Whirlpool::digest(data))
}

fn random_bytes(rng: &mut fastrand::Rng, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    rng.fill(&mut v);
    v
}

#[test]
fn vector_and_scalar_compress_agree() {
    let Some(vector) = vector_backend() else {
        return;
    };
    let mut rng = fastrand::Rng::with_seed(0x5EED);
    for n_blocks in [1, 1, 2, 3, 7, 16] {
        for _ in 0..200 {
            let mut h: [u8; 64] = std::array::from_fn(|_| rng.u8(..));
            let data = random_bytes(&mut rng, 64 * n_blocks);
            let (blocks, _) = data.as_chunks::<64>();
            let mut h_vector = h;
            Backend::Scalar.compress(&mut h, blocks);
            vector.compress(&mut h_vector, blocks);
            assert_eq!(h, h_vector, "{n_blocks} blocks");
        }
    }
    // Extremes of the S-box's two halves and of the carries.
    for byte in [0x00, 0x7F, 0x80, 0xFF] {
        let mut h = [byte; 64];
        let mut h_vector = h;
        let block = [!byte; 64];
        Backend::Scalar.compress(&mut h, &[block]);
        vector.compress(&mut h_vector, &[block]);
        assert_eq!(h, h_vector, "bytes {byte:#x}");
    }
}

#[test]
fn iso_vectors() {
    const VECTORS: [(&[u8], &str); 3] = [
        (
            b"",
            "19fa61d75522a4669b44e39c1d2e1726c530232130d407f89afee0964997f7a73e83be698b288febcf88e3e03c4f0757ea8964e59b63d93708b138cc42a66eb3",
        ),
        (
            b"abc",
            "4e2448a4c6f486bb16b6562c73b4020bf3043e3a731bce721ae1b303d97e6d4c7181eebdb6c57e277d0e34957114cbd6c797fc9d95d8b582d225292076d4eef5",
        ),
        (
            b"The quick brown fox jumps over the lazy dog",
            "b97de512e91e3828b40d2b0fdce9ceb3c4a71f9bea8d88e75c4fa854df36725fd2b52eb6544edcacd6f8beddfea403cb55ae31f03ad62a5ef54e42ee82c3fb35",
        ),
    ];
    const MILLION_A: &str = "0c99005beb57eff50a7cf005560ddf5d29057fd86b20bfd62deca0f1ccea4af51fc15490eddc47af32bb2b66c34ff9ad8c6008ad677f77126953b226e4ed8b01";
    let million_a = vec![b'a'; 1_000_000];
    for backend in backends() {
        for (input, expected) in VECTORS {
            assert_eq!(hex_digest(backend, &[input]), expected, "{backend:?}");
        }
        assert_eq!(hex_digest(backend, &[&million_a]), MILLION_A, "{backend:?}");
    }
}

#[test]
fn matches_the_rustcrypto_crate_at_every_length() {
    let mut rng = fastrand::Rng::with_seed(300);
    let data = random_bytes(&mut rng, 300);
    for backend in backends() {
        for len in 0..=data.len() {
            let expected = reference(&data[..len]);
            assert_eq!(
                hex_digest(backend, &[&data[..len]]),
                expected,
                "{backend:?} length {len}"
            );
            // Fed in uneven pieces, through the buffer, the digest is the same.
            let split = rng.usize(0..=len);
            let (a, b) = data[..len].split_at(split);
            let pieces: Vec<&[u8]> = b.chunks(7).collect();
            let mut h = Whirlpool::with_backend(backend);
            h.update(a);
            for piece in pieces {
                h.update(piece);
            }
            assert_eq!(
                hex::encode(h.finalize()),
                expected,
                "{backend:?} length {len} split {split}"
            );
        }
    }
}

#[test]
fn matches_the_rustcrypto_crate_on_mebibytes_split_at_odd_places() {
    let mut rng = fastrand::Rng::with_seed(3 << 20);
    let data = random_bytes(&mut rng, (3 << 20) + 17);
    let expected = reference(&data);
    let cuts = [1, 63, 64, 65, 4096 + 3, 1 << 20, (2 << 20) + 31];
    for backend in backends() {
        assert_eq!(
            hex_digest(backend, &[&data]),
            expected,
            "{backend:?} in one piece"
        );
        let mut pieces = Vec::new();
        let mut start = 0;
        for cut in cuts {
            pieces.push(&data[start..cut]);
            start = cut;
        }
        pieces.push(&data[start..]);
        assert_eq!(
            hex_digest(backend, &pieces),
            expected,
            "{backend:?} in pieces"
        );
    }
}

#[test]
fn new_picks_the_vector_backend_where_the_cpu_has_it() {
    let vectorized = vector_backend().is_some() && !super::forced_scalar();
    assert_eq!(Whirlpool::new().is_vectorized(), vectorized);
    assert!(!Whirlpool::scalar().is_vectorized());
}
