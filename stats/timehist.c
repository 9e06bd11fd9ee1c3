/* timehist.c: see timehist.h. */
#include "timehist.h"

const uint64_t timehist_bounds_us[TIMEHIST_BOUNDS] = {
    10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000,
    100000, 250000, 500000, 1000000,
};

void timehist_record(struct timehist *h, uint64_t us)
{
    unsigned i = 0;
    while (i < TIMEHIST_BOUNDS && us > timehist_bounds_us[i])
        i++;
    h->counts[i]++;
    h->count++;
    h->sum_us += us;
}
