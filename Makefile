# task_cancel: PGXS build, plus the two quick-start targets of the README.

# The PostgreSQL to build against: the one whose pg_config PG_CONFIG
# names; else Debian's /usr/lib/postgresql/PG_MAJOR; else the newest
# supported server installed there; else pg_config on the PATH.  On a
# machine with no server yet, "make demo" and "make test" install one
# (test/install-deps) and call make again, which then finds it.
SUPPORTED_MAJORS := 15 16 17 18
SUPPORTED        := task_cancel supports PostgreSQL 15, 16, 17 and 18
ifeq ($(origin PG_CONFIG),undefined)
ifeq ($(PG_MAJOR),)
PG_MAJOR := $(lastword $(sort $(filter $(SUPPORTED_MAJORS),$(patsubst \
    /usr/lib/postgresql/%/bin/postgres,%,$(wildcard /usr/lib/postgresql/*/bin/postgres)))))
endif
ifneq ($(PG_MAJOR),)
PG_CONFIG := /usr/lib/postgresql/$(PG_MAJOR)/bin/pg_config
else
PG_CONFIG := pg_config
endif
endif

# Refuse what we do not support with one line, before any compiler runs.
ifneq ($(PG_MAJOR),)
ifeq ($(filter $(PG_MAJOR),$(SUPPORTED_MAJORS)),)
$(error PostgreSQL $(PG_MAJOR) is not supported; $(SUPPORTED))
endif
endif
PG_CONFIG_MAJOR := $(shell $(PG_CONFIG) --version 2>/dev/null | \
    sed -n 's/^PostgreSQL \([0-9][0-9]*\).*/\1/p')
ifeq ($(PG_CONFIG_MAJOR),)
ifneq ($(filter command line environment,$(origin PG_CONFIG)),)
$(error PG_CONFIG=$(PG_CONFIG) is not a working pg_config; $(SUPPORTED))
endif
else
ifeq ($(filter $(PG_CONFIG_MAJOR),$(SUPPORTED_MAJORS)),)
$(error PostgreSQL $(PG_CONFIG_MAJOR) ($(PG_CONFIG)) is not supported; $(SUPPORTED))
endif
ifneq ($(PG_MAJOR),)
ifneq ($(PG_MAJOR),$(PG_CONFIG_MAJOR))
$(error PG_MAJOR=$(PG_MAJOR), but $(PG_CONFIG) is PostgreSQL $(PG_CONFIG_MAJOR))
endif
endif
# The scripts (test/install-deps, test/deb/run) and sub-makes use the same.
PG_MAJOR := $(PG_CONFIG_MAJOR)
export PG_CONFIG PG_MAJOR
endif

EXTENSION  = task_cancel
MODULE_big = task_cancel
OBJS       = src/task_cancel.o src/arguments.o src/plans.o \
             src/cancel_tasks.o src/lookup_cache.o src/router.o \
             src/status_guard.o src/cancel_write.o src/cancel_task.o \
             src/block_list.o src/cancel_events_since.o \
             src/task_row_check.o src/columns.o src/commit_notify.o \
             src/cancel_expired_tasks.o src/purge_cancel_events.o \
             src/cancel_direct.o src/citus.o src/event_order.o \
             src/notify_relay.o src/cancel_stream.o
DATA       = $(wildcard sql/task_cancel--*.sql)

# Test lists are wildcards (a new file always runs); ":=" so an empty list
# skips that suite instead of running "0 tests".  Isolation specs create
# and drop the extension themselves, so they need no --load-extension and
# do not depend on each other's leftovers.
REGRESS       := $(sort $(patsubst test/sql/%.sql,%,$(wildcard test/sql/*.sql)))
REGRESS_OPTS   = --inputdir=test
ISOLATION     := $(sort $(patsubst test/specs/%.spec,%,$(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --outputdir=.

PG_CPPFLAGS = -isystem $(shell $(PG_CONFIG) --includedir-server 2>/dev/null)
PG_CFLAGS   = -Wextra
EXTRA_CLEAN = test/dump/out/ test/upgrade/out/

# On a machine without the server headers PGXS is missing; "make demo" and
# "make test" install it first (test/install-deps), then call make again.
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
SERVER_H := $(shell $(PG_CONFIG) --includedir-server 2>/dev/null)/postgres.h
ifneq ($(wildcard $(PGXS)),)
ifeq ($(wildcard $(SERVER_H)),)
$(if $(filter demo test deps,$(MAKECMDGOALS)),,$(warning PostgreSQL server headers not found; "make demo" and "make test" install them))
endif
include $(PGXS)
else
all install installcheck:
	@echo "PostgreSQL's PGXS was not found; run test/install-deps (or make test) first." >&2
	@exit 1
endif

EXTVERSION := $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" task_cancel.control)

.PHONY: demo test private-install deps deb dist test-deb bench bench-quick bench-commits reliability reliability-quick

deps:
	test/install-deps

# Both run on a throw-away cluster (pg_virtualenv -t), whose server log
# goes to log/cluster.log instead of the terminal.  Only the version we
# build for, even where several are installed.  Prepared transactions are
# enabled: the tests prove that every cancel can be prepared (2PC).  Commit
# timestamps let test/commit_order compare the order a consumer received
# events in with the order of the commits.  wal_level = logical lets
# test/sql/stream.sql and test/stream read the cancel stream from a slot.
#
# They use a private installation, not the system's: "make install
# DESTDIR=..." into a directory of their own under /tmp (the server, which
# runs as postgres, must be able to read it wherever the tree is), found
# by the throw-away clusters through Debian's extension_destdir setting.
# So they never replace the task_cancel.so of a running system server;
# "make install" is the one command that installs.  Scripts that start
# clusters of their own pass the setting on (TC_EXTENSION_DESTDIR).
#
# Debian's PostgreSQL 15, 16 and 17 have extension_destdir; 18 replaced it
# with extension_control_path, which cannot find a library named
# "$$libdir/task_cancel" (our module_pathname) anywhere but in the system
# directory.  There, and on any other PostgreSQL without the setting,
# these targets install into the system's directories as "make install"
# does, and say so.  (Both are asked when the recipe runs: on a fresh
# machine the server comes with test/install-deps.)
PRIVATE_INSTALL := /tmp/task_cancel-$(shell id -u)-$(shell echo '$(CURDIR)' | md5sum | cut -c1-8)
HAS_DESTDIR = $(filter 1,$(shell $$($(PG_CONFIG) --bindir 2>/dev/null)/postgres --describe-config 2>/dev/null | grep -c '^extension_destdir'))
export TC_EXTENSION_DESTDIR = $(if $(HAS_DESTDIR),$(PRIVATE_INSTALL))
VIRTUALENV = mkdir -p log && pg_virtualenv -t $(if $(PG_MAJOR),-v $(PG_MAJOR)) -o max_prepared_transactions=10 -o track_commit_timestamp=on -o wal_level=logical $(if $(HAS_DESTDIR),-o extension_destdir=$(PRIVATE_INSTALL))

# Build quietly and install into PRIVATE_INSTALL (or the system); say so once.
private-install:
	@$(MAKE) -s all >log/build.log 2>&1 || { cat log/build.log; exit 1; }
ifeq ($(HAS_DESTDIR),)
	@test/as-root $(MAKE) -s install >>log/build.log 2>&1 || { cat log/build.log; exit 1; }
	@echo "task_cancel built and installed into the system's PostgreSQL (this PostgreSQL has no extension_destdir setting for a private installation)"
else
	@rm -rf $(PRIVATE_INSTALL)
	@$(MAKE) -s install DESTDIR=$(PRIVATE_INSTALL) >>log/build.log 2>&1 || { cat log/build.log; exit 1; }
	@chmod -R a+rX $(PRIVATE_INSTALL)
	@echo "task_cancel built and installed privately in $(PRIVATE_INSTALL) (the system's PostgreSQL is left alone)"
endif

# The main job: sample data, every mode, an accept racing a cancel.
demo:
	@test/install-deps --demo
	@mkdir -p log
	@$(MAKE) -s private-install
	@$(VIRTUALENV) demo/run 2>log/cluster.log

# Everything: pg_regress, isolation specs, dump round trip.  test/run
# leaves its "N passed, M failed" line in log/summary, printed here last,
# after pg_virtualenv has removed the cluster.
test: deps
	@mkdir -p log
	@$(MAKE) -s private-install
	@rm -f log/summary
	@export TC_SUMMARY_BY_MAKE=1; $(VIRTUALENV) test/run 2>log/cluster.log; rc=$$?; \
	  [ -s log/summary ] || echo "0 passed, 1 failed (see log/cluster.log)" >log/summary; \
	  cat log/summary; exit $$rc

# Debian package postgresql-<major>-task-cancel_<version>_<arch>.deb for
# each server version whose headers are installed (debian/pgversions: 15
# and later), written beside the source tree as dpkg-buildpackage does.
# debian/control names the package for 15; pg_buildext rewrites it for
# the versions present first, or dpkg-buildpackage refuses to start.
deb:
	test/install-deps --deb
	pg_buildext updatecontrol
	dpkg-buildpackage -us -uc -b

# Install that package, run the suites against it, remove it again.
test-deb: deb
	test/deb/run

# PGXN release archive from the committed tree.
dist:
	git archive --format=zip --prefix=task_cancel-$(EXTVERSION)/ \
	    -o task_cancel-$(EXTVERSION).zip HEAD

# Benchmarks against hand-written SQL and PL/pgSQL (bench/run): results
# in bench/results/.  The cluster keeps the data in memory and commits
# asynchronously, so the numbers measure CPU work, not the disk.
BENCH_CLUSTER = -o shared_buffers=4GB -o synchronous_commit=off \
                -o max_wal_size=8GB -o checkpoint_timeout=30min

bench: deps
	test/install-deps --bench
	@mkdir -p log
	@$(MAKE) -s private-install
	$(VIRTUALENV) $(BENCH_CLUSTER) bench/run full 2>log/cluster.log

bench-quick: deps
	test/install-deps --bench
	@mkdir -p log
	@$(MAKE) -s private-install
	$(VIRTUALENV) $(BENCH_CLUSTER) bench/run quick 2>log/cluster.log

# Commit throughput with fsync and synchronous commit on, against the 1.0
# tree (bench/commits), and how long after a commit listeners hear of a
# cancel (bench/notify_delay); with PostgreSQL's default wal_level, as the
# 1.0 cluster has it.
bench-commits: deps
	@mkdir -p log
	@$(MAKE) -s private-install
	$(VIRTUALENV) -o fsync=on -o max_connections=100 -o wal_level=replica bench/commits 2>log/cluster.log
	$(VIRTUALENV) -o fsync=on -o max_connections=100 -o wal_level=replica bench/notify_delay 2>log/cluster.log

# Soak, hostile input, memory, crash and valgrind (test/reliability/run);
# the quick variant is what CI runs.
reliability: deps
	test/install-deps --reliability
	@mkdir -p log
	@$(MAKE) -s private-install
	$(VIRTUALENV) test/reliability/run 2>log/cluster.log

reliability-quick: deps
	@mkdir -p log
	@$(MAKE) -s private-install
	$(VIRTUALENV) test/reliability/run quick 2>log/cluster.log
