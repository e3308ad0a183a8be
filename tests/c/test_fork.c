/*
 * fork() while 8 threads call: each child must get its own answers, never the parent's or a
 * sibling's, and never hang. Usage: test_fork API_URL ID_INSTANCE TOKEN CACHE_TTL
 *
 * The emulator answers chat id N with a link ending in "/avatars/N.png". The parent's threads
 * look up 1000000 + 1000 * thread + k, child c looks up 2000000 + 1000 * c + k: every answer is
 * checked against its own chat id. Each child runs a watchdog (alarm): a hang kills it with
 * SIGALRM, which fails the test; so does the parent's.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "getavatar.h"

#define THREADS 8
#define CHILDREN 8
#define PER_CHILD 40
#define CHILD_THREADS 3

static GaClient *client;
static volatile int stop;
static long counts[THREADS][3]; /* per thread: right, wrong, error */

/* 0: the answer is chat id's own; 1: another chat's link; 2: an error. */
static int check(long id, char *why, size_t n) {
    char chat[32], want[48];
    snprintf(chat, sizeof chat, "%ld", id);
    snprintf(want, sizeof want, "/avatars/%ld.png", id);
    GaAvatar *a = ga_get_avatar(client, chat);
    int r;
    if (a == NULL) {
        snprintf(why, n, "%s: NULL result", chat);
        r = 2;
    } else if (a->status != GA_OK) {
        snprintf(why, n, "%s: %s: %s", chat, ga_status_name(a->status), a->error ? a->error : "");
        r = 2;
    } else {
        size_t lw = strlen(want), lu = a->url_avatar ? strlen(a->url_avatar) : 0;
        r = (lu >= lw && strcmp(a->url_avatar + lu - lw, want) == 0) ? 0 : 1;
        if (r)
            snprintf(why, n, "%s got %s", chat, a->url_avatar ? a->url_avatar : "(null)");
    }
    ga_free(a);
    return r;
}

static void *parent_thread(void *arg) {
    long t = (long)(size_t)arg, k = 0;
    char why[512];
    while (!stop) {
        int r = check(1000000 + 1000 * t + (k++ % 50), why, sizeof why);
        counts[t][r]++;
        if (r)
            fprintf(stderr, "parent thread %ld: %s\n", t, why);
    }
    return NULL;
}

struct child_job {
    long c, from, to, bad;
};

static void *child_thread(void *arg) {
    struct child_job *j = arg;
    char why[512];
    for (long k = j->from; k < j->to; k++) {
        if (check(2000000 + 1000 * j->c + k, why, sizeof why)) {
            j->bad++;
            fprintf(stderr, "child %ld: %s\n", j->c, why);
        }
    }
    return NULL;
}

/* In the child: lookups on CHILD_THREADS threads at once, then the client is freed. */
static void child(long c) {
    alarm(30);
    pthread_t th[CHILD_THREADS];
    struct child_job jobs[CHILD_THREADS];
    long bad = 0;
    for (long i = 0; i < CHILD_THREADS; i++) {
        jobs[i] = (struct child_job){c, i * PER_CHILD / CHILD_THREADS, (i + 1) * PER_CHILD / CHILD_THREADS, 0};
        if (pthread_create(&th[i], NULL, child_thread, &jobs[i]) != 0)
            _exit(3);
    }
    for (long i = 0; i < CHILD_THREADS; i++) {
        pthread_join(th[i], NULL);
        bad += jobs[i].bad;
    }
    /* Freeing the client in the child must not touch what it inherited. */
    ga_client_free(client);
    _exit(bad ? 1 : 0);
}

static void nap_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s API_URL ID_INSTANCE TOKEN CACHE_TTL\n", argv[0]);
        return 2;
    }
    alarm(120);
    client = ga_client_new(argv[1], argv[2], argv[3]);
    if (client == NULL) {
        fprintf(stderr, "ga_client_new: %s\n", ga_last_error());
        return 2;
    }
    if (ga_client_set_rate_limit(client, 0) || ga_client_set_user_agent(client, "fork-test/1") ||
        ga_client_set_cache_ttl(client, atoi(argv[4])) || ga_client_set_timeout_ms(client, 10000)) {
        fprintf(stderr, "setter: %s\n", ga_last_error());
        return 2;
    }
    pthread_t th[THREADS];
    for (long t = 0; t < THREADS; t++)
        pthread_create(&th[t], NULL, parent_thread, (void *)(size_t)t);
    nap_ms(200);
    int failed_children = 0;
    for (long c = 0; c < CHILDREN; c++) {
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0)
            child(c);
        int st = 0;
        waitpid(pid, &st, 0);
        if (WIFSIGNALED(st)) {
            fprintf(stderr, "child %ld killed by signal %d%s\n", c, WTERMSIG(st),
                    WTERMSIG(st) == SIGALRM ? " (hung: watchdog)" : "");
            failed_children++;
        } else if (WEXITSTATUS(st) != 0) {
            fprintf(stderr, "child %ld exited with %d\n", c, WEXITSTATUS(st));
            failed_children++;
        }
        nap_ms(30);
    }
    nap_ms(100);
    stop = 1;
    long right = 0, wrong = 0, errors = 0;
    for (long t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        right += counts[t][0];
        wrong += counts[t][1];
        errors += counts[t][2];
    }
    /* The parent still works after all that. */
    char why[512];
    int last = check(1000000, why, sizeof why);
    ga_client_free(client);
    printf("children: %d of %d failed; parent: %ld right, %ld wrong, %ld errors; last call %s\n",
           failed_children, CHILDREN, right, wrong, errors, last ? why : "ok");
    return (failed_children || wrong || errors || last || right < THREADS) ? 1 : 0;
}
