# crashkit - top-level build.  `make` builds the static binaries; `make check`
# installs what the tests need (make deps) and runs every suite; the last line
# of its output is "N passed, N failed".

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
CLANG ?= clang
FUZZ_SECONDS ?= 60

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN)
CFLAGS ?= -O2 -g
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
TSAN_FLAGS := -O1 -g -fsanitize=thread -fno-omit-frame-pointer
LDLIBS_STATIC := -static -lelf -lzstd -llzo2 -lz
LDLIBS_DYN := -lelf -lzstd -llzo2 -lz

LIB_SRCS := $(sort $(wildcard lib/*.c lib/arch/*.c))
DMESG_SRCS := $(sort $(filter-out crashdmesg/main.c,$(wildcard crashdmesg/*.c)))
COPY_SRCS := $(sort $(filter-out capture/crashcopy/main.c,$(wildcard capture/crashcopy/*.c)))
CORE_SRCS := $(LIB_SRCS) $(DMESG_SRCS) $(COPY_SRCS)
HEADERS := $(wildcard lib/*.h lib/arch/*.h crashdmesg/*.h capture/crashcopy/*.h tests/unit/*.h)
# crashcopy is built once its main.c exists (issue 3 is in progress).
COPY_BINS := $(if $(wildcard capture/crashcopy/main.c),capture/crashcopy/crashcopy)
COPY_ASAN_BINS := $(if $(wildcard capture/crashcopy/main.c),build/asan/crashcopy build/tsan/crashcopy)

# crashsend: the http target's client, standalone (no lib/).
SEND_SRCS := $(sort $(wildcard capture/crashsend/*.c))
SEND_DEPS := $(SEND_SRCS) $(wildcard capture/crashsend/*.h)

REL_OBJS := $(CORE_SRCS:%.c=build/rel/%.o)
ASAN_OBJS := $(CORE_SRCS:%.c=build/asan-obj/%.o)
TSAN_OBJS := $(CORE_SRCS:%.c=build/tsan-obj/%.o)

UNIT_SRCS := $(sort $(wildcard tests/unit/*_test.c))
UNIT_BINS := $(UNIT_SRCS:%.c=build/asan/%)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:%.c=build/fuzz/%)

.PHONY: all check demo demo-log bench fuzz fuzz-smoke install install-hooks deps clean test-bins \
	fixtures shellcheck e2e

all: crashdmesg/crashdmesg $(COPY_BINS) initramfs/mkcpio initramfs/crashkit-xen \
	capture/crashsend/crashsend

crashdmesg/crashdmesg: build/rel/crashdmesg/main.o $(REL_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_STATIC)

capture/crashcopy/crashcopy: build/rel/capture/crashcopy/main.o $(REL_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS_STATIC)

# mkcpio (the initramfs build's cpio writer) needs only lib/error.c.
initramfs/mkcpio: build/rel/initramfs/mkcpio.o build/rel/lib/error.o
	$(CC) $(CFLAGS) -o $@ $^ -static

# Xen dom0 helper for crashctl: static, standalone (only the privcmd ioctl).
initramfs/crashkit-xen: initramfs/crashkit-xen.c
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -static -o $@ $<

capture/crashsend/crashsend: $(SEND_DEPS)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -static -o $@ $(SEND_SRCS)

build/asan/crashsend: $(SEND_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(ASAN_FLAGS) -o $@ $(SEND_SRCS)

build/rel/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -c -o $@ $<

# Test builds: every test and fixture run uses the sanitized binaries.
build/asan-obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(ASAN_FLAGS) -c -o $@ $<

build/asan/crashdmesg: build/asan-obj/crashdmesg/main.o $(ASAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(LDLIBS_DYN)

build/asan/crashkit-xen: initramfs/crashkit-xen.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(ASAN_FLAGS) -o $@ $<

build/asan/crashcopy: build/asan-obj/capture/crashcopy/main.o $(ASAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(LDLIBS_DYN)

build/asan/mkcpio: build/asan-obj/initramfs/mkcpio.o build/asan-obj/lib/error.o
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_FLAGS) -o $@ $^

build/asan/tests/unit/%_test: tests/unit/%_test.c $(ASAN_OBJS) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(ASAN_FLAGS) -o $@ $< $(ASAN_OBJS) $(LDLIBS_DYN)

# crashcopy under ThreadSanitizer, for e2e_crashcopy's pipeline checks (its
# workers, writer thread and main thread share the runs in flight).
build/tsan-obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(TSAN_FLAGS) -c -o $@ $<

build/tsan/crashcopy: build/tsan-obj/capture/crashcopy/main.o $(TSAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(TSAN_FLAGS) -o $@ $^ $(LDLIBS_DYN)

# make bench's floor of a per-page codec (tests/bench/codec_floor.c).
build/bench/codec_floor: tests/bench/codec_floor.c capture/crashcopy/codec.c \
		capture/crashcopy/lzo1x_page.c lib/error.c lib/fd_io.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $(filter %.c,$^) $(LDLIBS_STATIC)

# The fixture generator is independent of the decoders: it links nothing
# from lib/ but the header-only rd.h.
build/mkvmcore: $(wildcard fixtures/gen/*.c fixtures/gen/*.h) lib/rd.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(ASAN_FLAGS) -o $@ $(filter %.c,$^)

# Fuzz builds: lib/ and the decoders compiled once with the fuzzer's coverage
# instrumentation (fuzzer-no-link), each harness linked against them (compiling
# every source once per harness took two minutes of make check).
FUZZ_CFLAGS := $(BASE_CFLAGS) -O1 -g -fsanitize=address,undefined
FUZZ_OBJS := $(CORE_SRCS:%.c=build/fuzz-obj/%.o)

build/fuzz-obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/tests/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(LDLIBS_DYN)

test-bins: crashdmesg/crashdmesg build/asan/crashdmesg $(COPY_BINS) $(COPY_ASAN_BINS) \
	$(UNIT_BINS) build/mkvmcore initramfs/mkcpio build/asan/mkcpio \
	initramfs/crashkit-xen build/asan/crashkit-xen \
	capture/crashsend/crashsend build/asan/crashsend

deps:
	sh tests/deps.sh

# The builds use every core: make check has a budget (well under 30 min).
# Recursive (=): nproc runs only when check's recipe expands it, not on
# every make.
JOBS = $(shell nproc 2>/dev/null || echo 2)

check: deps
	$(MAKE) -j$(JOBS) test-bins $(FUZZ_BINS)
	sh tests/run.sh

# demo: crash a VM and capture it with crashkit; demo-log: read a bundled crash.
demo: deps
	$(MAKE) all
	sh tests/e2e/demo-capture.sh

demo-log: deps
	$(MAKE) crashdmesg/crashdmesg
	sh tests/demo.sh

bench: deps
	$(MAKE) crashdmesg/crashdmesg capture/crashcopy/crashcopy build/bench/codec_floor
	sh tests/bench/run.sh

fuzz: deps
	$(MAKE) $(FUZZ_BINS)
	sh tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-smoke: $(FUZZ_BINS)
	sh tests/fuzz/run.sh 5

install: crashdmesg/crashdmesg $(COPY_BINS) capture/crashsend/crashsend initramfs/mkcpio install-hooks
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/lib/crashkit
	install -m 0755 crashdmesg/crashdmesg $(DESTDIR)$(PREFIX)/bin/crashdmesg
	install -m 0644 doc/crashdmesg.1 $(DESTDIR)$(PREFIX)/share/man/man1/crashdmesg.1
	install -m 0755 initramfs/mkcpio $(DESTDIR)$(PREFIX)/lib/crashkit/mkcpio
	install -m 0755 initramfs/build $(DESTDIR)$(PREFIX)/lib/crashkit/build
	$(if $(COPY_BINS),install -m 0755 capture/crashcopy/crashcopy $(DESTDIR)$(PREFIX)/bin/crashcopy)
	$(if $(COPY_BINS),install -m 0644 doc/crashcopy.8 $(DESTDIR)$(PREFIX)/share/man/man8/crashcopy.8)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/lib/crashkit/lib $(DESTDIR)$(PREFIX)/lib/crashkit/fixtures
	install -m 0755 initramfs/crashctl $(DESTDIR)$(PREFIX)/sbin/crashctl
	install -m 0644 capture/lib/*.sh $(DESTDIR)$(PREFIX)/lib/crashkit/lib/
	install -d $(DESTDIR)$(PREFIX)/lib/crashkit/targets $(DESTDIR)$(PREFIX)/lib/crashkit/bin
	install -m 0644 capture/targets/*.sh $(DESTDIR)$(PREFIX)/lib/crashkit/targets/
	install -m 0755 capture/crashcapture $(DESTDIR)$(PREFIX)/lib/crashkit/crashcapture
	install -m 0755 initramfs/init $(DESTDIR)$(PREFIX)/lib/crashkit/init
	install -m 0755 capture/crashsend/crashsend $(DESTDIR)$(PREFIX)/lib/crashkit/bin/crashsend
	install -m 0644 fixtures/real/bookworm-6.1.vmcore $(DESTDIR)$(PREFIX)/lib/crashkit/fixtures/bookworm-6.1.vmcore
	$(if $(wildcard initramfs/xen.sh),install -m 0644 initramfs/xen.sh $(DESTDIR)$(PREFIX)/lib/crashkit/xen.sh)
	$(if $(wildcard initramfs/crashkit-xen),install -D -m 0755 initramfs/crashkit-xen $(DESTDIR)$(PREFIX)/lib/crashkit/bin/crashkit-xen)
	install -m 0644 doc/crashctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/crashctl.8
	install -m 0644 doc/crashkit.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/crashkit.conf.5

# Distro integration (hooks/README.md): systemd units and generator, the
# sysvinit script, the initramfs-tools hook, the dracut module.  Paths inside
# them follow PREFIX; the directories are the distro's own.
SYSTEMDUNITDIR ?= $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
SYSTEMDGENERATORDIR ?= $(shell pkg-config --variable=systemdsystemgeneratordir systemd 2>/dev/null || echo /lib/systemd/system-generators)
DRACUTMODULESDIR ?= $(shell pkg-config --variable=dracutmodulesdir dracut 2>/dev/null || echo /usr/lib/dracut/modules.d)
INITDDIR ?= /etc/init.d
# Empty: the initramfs-tools hook is only installed under share/crashkit;
# INITRAMFSTOOLSDIR=/etc/initramfs-tools puts it into every distro image.
INITRAMFSTOOLSDIR ?=

install-hooks:
	sh hooks/install.sh "$(DESTDIR)" "$(PREFIX)" "$(SYSTEMDUNITDIR)" "$(SYSTEMDGENERATORDIR)" \
		"$(INITDDIR)" "$(INITRAMFSTOOLSDIR)" "$(DRACUTMODULESDIR)"

clean:
	rm -rf build crashdmesg/crashdmesg capture/crashcopy/crashcopy initramfs/mkcpio \
		initramfs/crashkit-xen capture/crashsend/crashsend
