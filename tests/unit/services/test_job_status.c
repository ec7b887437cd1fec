/* test_job_status.c — the followable record of an API-started job (job_status.h): created
 * queued, a duplicate keeps the row, a fresh job with a reused id replaces it; the worker's
 * updates move it through running, queued again (a retry keeps the error), succeeded or failed
 * with their times; jobs without a row are left alone. */
#include "api_fixture.h"

#include "services/job_status.h"

static const char *state_of(struct fixture *fx, json_t **job, const char *id)
{
    struct aps_conn *c = NULL;
    int64_t by = 0;
    assert_int_equal(aps_store_acquire(fx->app.store, APS_DB_READ, &c), 0);
    int rc = aps_job_status_get(c, id, job, &by);
    aps_store_release(c);
    if (rc == APS_E_NOTFOUND)
        return NULL;
    assert_int_equal(rc, 0);
    return json_string_value(json_object_get(*job, "state"));
}

static void create(struct fixture *fx, const char *id, const char *payload, bool fresh)
{
    struct aps_conn *c = NULL;
    assert_int_equal(aps_store_acquire(fx->app.store, APS_DB_WRITE, &c), 0);
    assert_int_equal(aps_job_status_create(c, id, "train", payload, FX_ADMIN, fresh, 1000), 0);
    aps_store_release(c);
}

static void test_lifecycle(void **state)
{
    struct fixture *fx = *state;
    json_t *job = NULL;
    create(fx, "7", "{\"sport\":\"NFL\"}", true);
    assert_string_equal(state_of(fx, &job, "7"), "queued");
    assert_int_equal(json_integer_value(json_object_get(job, "requested_by")), FX_ADMIN);
    assert_string_equal(json_string_value(json_object_get(json_object_get(job, "payload"),
                                                          "sport")),
                        "NFL");
    assert_true(json_is_null(json_object_get(job, "started_at")));
    json_decref(job);

    assert_int_equal(aps_job_status_update(fx->app.store, "7", "running", 1, NULL, 2000), 0);
    assert_string_equal(state_of(fx, &job, "7"), "running");
    assert_int_equal(json_integer_value(json_object_get(job, "attempts")), 1);
    assert_false(json_is_null(json_object_get(job, "started_at")));
    json_decref(job);

    assert_int_equal(aps_job_status_update(fx->app.store, "7", "queued", 1, "boom", 3000), 0);
    assert_string_equal(state_of(fx, &job, "7"), "queued");
    assert_string_equal(json_string_value(json_object_get(job, "error")), "boom");
    assert_true(json_is_null(json_object_get(job, "finished_at")));
    json_decref(job);

    assert_int_equal(aps_job_status_update(fx->app.store, "7", "failed", 2, "boom again", 4000),
                     0);
    assert_string_equal(state_of(fx, &job, "7"), "failed");
    assert_int_equal(json_integer_value(json_object_get(job, "attempts")), 2);
    assert_false(json_is_null(json_object_get(job, "finished_at")));
    json_decref(job);

    /* the same id again: a duplicate keeps the record, a fresh job replaces it */
    create(fx, "7", "{\"sport\":\"NBA\"}", false);
    assert_string_equal(state_of(fx, &job, "7"), "failed");
    json_decref(job);
    create(fx, "7", "{\"sport\":\"NBA\"}", true);
    assert_string_equal(state_of(fx, &job, "7"), "queued");
    assert_true(json_is_null(json_object_get(job, "error")));
    json_decref(job);

    /* a job nobody follows has no row; updating it changes nothing */
    assert_int_equal(aps_job_status_update(fx->app.store, "8", "succeeded", 1, NULL, 5000), 0);
    assert_null(state_of(fx, &job, "8"));
    assert_int_equal(fx_int(fx, "SELECT COUNT(*) FROM job_status"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lifecycle, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
