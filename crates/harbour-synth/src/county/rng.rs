//! A small seeded generator (SplitMix64). Each child draws from its own stream, derived from
//! the county seed and the child's number, so the county is the same for a seed however it is
//! generated, and any child can be regenerated alone.

#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut rng = Self(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        rng.next_u64();
        rng
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in [0, n); 0 when n is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// Uniform in [low, high] (inclusive).
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = u64::try_from(high.saturating_sub(low).max(0)).unwrap_or(0) + 1;
        low + i64::try_from(self.below(span)).unwrap_or(0)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(usize::try_from(self.below(items.len() as u64)).unwrap_or(0))
    }

    /// Picks with a skew towards the front of the list (common names are common).
    pub fn pick_skewed<'a, T>(&mut self, items: &'a [T], power: f64) -> Option<&'a T> {
        // u^power puts more weight on the front of the list as power grows: the first of n
        // items comes up with probability (1/n)^(1/power).
        let u = self.unit().powf(power);
        let index = (u * items.len() as f64) as usize;
        items.get(index.min(items.len().saturating_sub(1)))
    }

    /// A Poisson draw (Knuth's method; fine for the small means used here).
    pub fn poisson(&mut self, mean: f64) -> u32 {
        let limit = (-mean).exp();
        let mut product = self.unit();
        let mut count = 0;
        while product > limit && count < 50 {
            count += 1;
            product *= self.unit();
        }
        count
    }

    /// An approximately normal draw (sum of uniforms), mean and standard deviation given.
    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let sum: f64 = (0..12).map(|_| self.unit()).sum();
        mean + (sum - 6.0) * sd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..5).map(|_| Rng::new(7, 1).next_u64()).collect();
        assert!(
            a.windows(2).all(|w| w[0] == w[1]),
            "same seed and stream, same first draw"
        );
        assert_ne!(Rng::new(7, 1).next_u64(), Rng::new(7, 2).next_u64());
        assert_ne!(Rng::new(7, 1).next_u64(), Rng::new(8, 1).next_u64());
    }

    #[test]
    fn draws_have_roughly_the_asked_for_shape() {
        let mut rng = Rng::new(1, 1);
        let n = 100_000;
        let mean_unit: f64 = (0..n).map(|_| rng.unit()).sum::<f64>() / f64::from(n);
        assert!((mean_unit - 0.5).abs() < 0.01, "{mean_unit}");
        let mean_poisson = (0..n).map(|_| f64::from(rng.poisson(2.5))).sum::<f64>() / f64::from(n);
        assert!((mean_poisson - 2.5).abs() < 0.05, "{mean_poisson}");
        let hits = (0..n).filter(|_| rng.chance(0.02)).count();
        assert!((1_800..2_200).contains(&hits), "{hits}");
    }
}
