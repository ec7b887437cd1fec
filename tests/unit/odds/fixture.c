/* fixture.c — shared helpers of the odds tests: assert_near() for doubles (cmocka 1.1 compares
 * only floats) and a small seeded generator (splitmix64) for the property tests, whose state the
 * test owns and passes in (nothing global). Included after <cmocka.h> by the test files; it is
 * not a test of its own and has no main, so every function is static inline. */
#include <math.h>
#include <stdint.h>

#define assert_near(a, b, eps) near_impl((a), (b), (eps), #a, __FILE__, __LINE__)

static inline void near_impl(double a, double b, double eps, const char *expr, const char *file,
                             int line)
{
    if (fabs(a - b) <= eps)
        return;
    print_error("%s = %.17g, expected %.17g within %g\n", expr, a, b, eps);
    _fail(file, line);
}

struct prng {
    uint64_t state;
};

static inline uint64_t prng_next(struct prng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double prng_uniform(struct prng *r)
{
    return (double)(prng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in [lo, hi). */
static inline double prng_range(struct prng *r, double lo, double hi)
{
    return lo + (hi - lo) * prng_uniform(r);
}

/* Uniform integer in [lo, hi]. */
static inline int prng_int(struct prng *r, int lo, int hi)
{
    return lo + (int)(prng_next(r) % (uint64_t)(hi - lo + 1));
}
