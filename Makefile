# memleakbpf build: clang -target bpf -> bpftool gen object -> gen skeleton ->
# userspace linked against Debian's libbpf, libelf and libdw.
# Quiet by default; `make V=1` prints full commands.  Generated files: .output/
OUTPUT   ?= .output
BIN      ?= memleakbpf
CLANG    ?= clang
BPFTOOL  ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
CC       ?= cc
ARCH     := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
VMLINUX_DIR := vmlinux/$(shell uname -m)
VMLINUX_H   ?= $(VMLINUX_DIR)/vmlinux.h
# --version: the release, and the commit built from (a source tarball
# without .git says "unknown"; debian/rules may pass COMMIT=).
VERSION  := 0.9.0
COMMIT   ?= $(or $(shell git describe --always --dirty 2>/dev/null),unknown)

ifeq ($(wildcard $(VMLINUX_H)),)
$(error no $(VMLINUX_H): run scripts/gen-vmlinux on a machine of this architecture)
endif

# SAN=1 builds everything with ASan+UBSan (CI runs the tests once that way).
ifneq ($(SAN),)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation -Iinclude -I$(OUTPUT) $(SAN_FLAGS)
LDLIBS   += -lbpf -ldw -lelf -lz -lstdc++ -lpthread
LDFLAGS  += $(SAN_FLAGS)
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror -Werror=undef \
	-Iinclude -Ibpf -I$(VMLINUX_DIR) -I$(OUTPUT)

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
SKELS     := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
# src/ holds main.c and a folder per layer and per mode (doc/architecture.md).
SRCS      := $(wildcard src/*.c src/*/*.c)
OBJS      := $(patsubst src/%.c,$(OUTPUT)/obj/%.o,$(SRCS))
LIB_OBJS  := $(filter-out $(OUTPUT)/obj/main.o,$(OBJS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
PROG_SRCS := $(wildcard tests/progs/*.c tests/progs/*.cc)
PROGS     := $(patsubst tests/progs/%,$(OUTPUT)/tests/%,$(basename $(PROG_SRCS)))

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all clean test check demo deps bench install uninstall test-progs FORCE
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BIN)

$(BIN): $(OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT) $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/%.tmp.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h include/*.h) $(VMLINUX_H) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.bpf.o: $(OUTPUT)/%.tmp.bpf.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# Headers are found from src/ ("lib/common.h"); -MMD records which ones each
# object includes.  Skeletons are generated before any object is compiled
# (order-only): the first build has no dependency files to name them yet.
# CPPFLAGS: where Debian's build flags put -D_FORTIFY_SOURCE (debian/rules).
$(OUTPUT)/obj/%.o: src/%.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -Isrc -MMD -MP -c $< -o $@

-include $(OBJS:.o=.d)

# Only version.o sees the version and commit; it is rebuilt when the commit
# changes because the stamp is rewritten only when its content differs.
VERSION_STAMP := $(OUTPUT)/version.stamp
$(VERSION_STAMP): FORCE | $(OUTPUT)
	$(Q)echo '$(VERSION) $(COMMIT)' | cmp -s - $@ || echo '$(VERSION) $(COMMIT)' > $@
$(OUTPUT)/obj/lib/version.o: $(VERSION_STAMP)
$(OUTPUT)/obj/lib/version.o: CFLAGS += -DMEMLEAKBPF_VERSION='"$(VERSION)"' -DMEMLEAKBPF_COMMIT='"$(COMMIT)"'
FORCE:

# Unit tests link every object except main.o into one runner.
$(OUTPUT)/unit_tests: $(UNIT_SRCS) $(LIB_OBJS) $(wildcard tests/unit/*.h src/*/*.h)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Isrc -Itests/unit $(UNIT_SRCS) $(LIB_OBJS) $(LDFLAGS) $(LDLIBS) -o $@

# Test programs with known leaks: -O0 -g so functions and lines are exact;
# per-program flags come from a "// build: ..." line in the source.
$(OUTPUT)/tests/%: tests/progs/%.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) -O0 -g -Wall -Werror $< -o $@ $(shell sed -n 's|^// build: ||p' $<)

$(OUTPUT)/tests/%: tests/progs/%.cc | $(OUTPUT)/tests
	$(call msg,CXX,$@)
	$(Q)g++ -O0 -g -Wall -Werror $< -o $@ $(shell sed -n 's|^// build: ||p' $<)

test-progs: $(PROGS)

test: $(BIN) $(OUTPUT)/unit_tests $(PROGS)
	$(Q)MEMLEAKBPF=$(abspath $(BIN)) TEST_OUT=$(abspath $(OUTPUT)) tests/run

# The README's test command (scripts/check): deps, tests, tests under ASan.
check:
	$(Q)scripts/check

demo:
	$(Q)scripts/demo

bench: memleakbpf
	$(Q)scripts/bench-user

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT) memleakbpf

# make install [PREFIX=/usr/local] [DESTDIR=]: the binary, its man pages,
# bash completion and the systemd unit of `memleakbpf serve`.  Man pages go
# in uncompressed: a Debian package compresses them (dh_compress), and man
# reads either.  systemd also reads units from /usr/local/lib/systemd/system;
# Debian 12's packages ship theirs in /lib/systemd/system (debian/rules says
# so).  The unit names /usr/sbin/memleakbpf; it is rewritten for SBINDIR.
PREFIX         ?= /usr/local
SBINDIR        ?= $(PREFIX)/sbin
MANDIR         ?= $(PREFIX)/share/man
BASHCOMPDIR    ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
MAN_PAGES      := $(wildcard man/*.8)

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/memleakbpf
	install -d $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man8/
	install -D -m 0644 completion/memleakbpf $(DESTDIR)$(BASHCOMPDIR)/memleakbpf
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|/usr/sbin/memleakbpf|$(SBINDIR)/memleakbpf|g' packaging/memleakbpf.service \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/memleakbpf.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/memleakbpf.service

# Removes what install put there (same PREFIX/DESTDIR), never a directory.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/memleakbpf
	rm -f $(patsubst man/%,$(DESTDIR)$(MANDIR)/man8/%,$(MAN_PAGES))
	rm -f $(DESTDIR)$(BASHCOMPDIR)/memleakbpf
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/memleakbpf.service
