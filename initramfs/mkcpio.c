/*
 * mkcpio - write a directory tree as a reproducible newc cpio archive, the
 * format the kernel unpacks as an initramfs (init/initramfs.c,
 * Documentation/driver-api/early-userspace/buffer-format.rst).
 *
 *   mkcpio [--mtime SECONDS] [--node PATH:c|b:MAJOR:MINOR:MODE]... -o OUT DIR
 *
 * The archive depends only on the tree's paths, file types, contents and
 * permission classes, never on inode numbers, owners, times or readdir order:
 *  1. entries are sorted by path (byte order, strcmp), so a directory always
 *     precedes what it holds; DIR itself is not an entry;
 *  2. inode numbers are 1, 2, 3... in that order; nlink is 1 (hard links
 *     become separate files); uid, gid and device numbers are 0;
 *  3. mtime is --mtime (default 0) for every entry;
 *  4. modes are normalised: directories 0755, regular files 0755 when any
 *     execute bit is set else 0644, symlinks 0777; a directory or file with
 *     no group or other permission bits keeps only its owner's (0700, 0600),
 *     so private keys stay private;
 *  5. only directories, regular files and symlinks are taken from the tree;
 *     device nodes are added with --node (no mknod needed in the staging
 *     tree) and anything else is an error.
 *
 * Limits checked before anything is written, each a clear error: a name of
 * PATH_MAX bytes or more (the kernel rejects name_len > PATH_MAX with the
 * NUL), a symlink target as long, a file of 4 GiB or more (newc's 32-bit
 * c_filesize).  A file whose size changes while it is read is an error too.
 *
 * Exit status: 0 written, 1 error (the message names the path), 2 usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../lib/error.h"

static const char program[] = "mkcpio";

/* newc: "070701", 13 fields of 8 hex digits, the name, padding to 4. */
static const size_t newc_header_size = 110;
static const uint64_t newc_max_field = 0xffffffffu;

struct entry {
	char *path;		/* relative to DIR, no leading "./" */
	mode_t mode;		/* normalised type and permissions */
	uint64_t size;		/* regular files: bytes; symlinks: target length */
	unsigned int rdev_major, rdev_minor;
	char *link_target;	/* symlinks only */
};

struct entry_list {
	struct entry *items;
	size_t count, capacity;
};

static void entry_list_deinit(struct entry_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].path);
		free(list->items[i].link_target);
	}
	free(list->items);
}

static struct crash_error *entry_list_add(struct entry_list *list,
					  struct entry e)
{
	if (list->count == list->capacity) {
		size_t n = list->capacity ? 2 * list->capacity : 256;
		struct entry *p = realloc(list->items, n * sizeof(*p));
		if (!p)
			return &crash_enomem;
		list->items = p;
		list->capacity = n;
	}
	list->items[list->count++] = e;
	return NULL;
}

/* Rule 4: the permission bits written for a tree entry of mode @st_mode. */
static mode_t mode_normalise(mode_t st_mode)
{
	mode_t perm;
	if (S_ISLNK(st_mode))
		return S_IFLNK | 0777;
	if (S_ISDIR(st_mode))
		perm = 0755;
	else
		perm = (st_mode & 0111) ? 0755 : 0644;
	if (!(st_mode & 0077))
		perm &= 0700;
	return (st_mode & S_IFMT) | perm;
}

/* A name as newc stores it: the length with its NUL must stay <= PATH_MAX. */
static struct crash_error *name_check(const char *path)
{
	size_t n = strlen(path);
	if (n + 1 > PATH_MAX)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "%.60s...: path of %zu bytes is too long (an initramfs name holds at most %d)",
					  path, n, PATH_MAX - 1);
	return NULL;
}

static char *path_join(const char *dir, const char *name)
{
	char *p;
	if (!*dir)
		return strdup(name);
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

/*
 * Add what directory @dfd (at @rel below DIR) holds, recursively.  Walks by
 * file descriptor so a path too long for the kernel is still reached and
 * reported by name_check() rather than as ENAMETOOLONG.
 */
static struct crash_error *tree_walk(int dfd, const char *rel,
				     struct entry_list *list)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		int e = errno;
		close(dfd);
		return crash_error_os(e, "%s: opendir", *rel ? rel : ".");
	}
	struct crash_error *err = NULL;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			if (errno)
				err = crash_error_os(errno, "%s: readdir", *rel ? rel : ".");
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *path = path_join(rel, de->d_name);
		if (!path) {
			err = &crash_enomem;
			break;
		}
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			err = crash_error_os(errno, "%.200s: stat", path);
			free(path);
			break;
		}
		err = name_check(path);
		if (err) {
			free(path);
			break;
		}
		struct entry e = { .path = path, .mode = mode_normalise(st.st_mode) };
		if (S_ISREG(st.st_mode)) {
			if ((uint64_t)st.st_size > newc_max_field) {
				err = crash_error_create(CRASH_ERR_UNSUPPORTED,
							 "%s: %jd bytes is too large for newc (at most %" PRIu64 ")",
							 path, (intmax_t)st.st_size, newc_max_field);
				free(path);
				break;
			}
			e.size = (uint64_t)st.st_size;
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(dirfd(d), de->d_name, target, sizeof(target));
			if (n < 0) {
				err = crash_error_os(errno, "%s: readlink", path);
				free(path);
				break;
			}
			if ((size_t)n >= sizeof(target)) {
				err = crash_error_create(CRASH_ERR_UNSUPPORTED,
							 "%s: symlink target is too long (at most %d bytes)",
							 path, PATH_MAX - 1);
				free(path);
				break;
			}
			e.link_target = strndup(target, (size_t)n);
			if (!e.link_target) {
				free(path);
				err = &crash_enomem;
				break;
			}
			e.size = (uint64_t)n;
		} else if (!S_ISDIR(st.st_mode)) {
			err = crash_error_create(CRASH_ERR_UNSUPPORTED,
						 "%s: not a directory, regular file or symlink (mode 0%o); add device nodes with --node",
						 path, (unsigned int)st.st_mode);
			free(path);
			break;
		}
		err = entry_list_add(list, e);
		if (err) {
			free(path);
			free(e.link_target);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				err = crash_error_os(errno, "%s: open directory", path);
				break;
			}
			err = tree_walk(sub, path, list);
			if (err)
				break;
		}
	}
	closedir(d);
	return err;
}

static int parse_uint(const char *s, uint64_t max, uint64_t *ret)
{
	if (!*s)
		return -1;
	uint64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		unsigned int digit = (unsigned int)(*p - '0');
		if (v > (max - digit) / 10)
			return -1;
		v = v * 10 + digit;
	}
	*ret = v;
	return 0;
}

/* --node PATH:c|b:MAJOR:MINOR:MODE (MODE octal) as an entry. */
static struct crash_error *node_parse(const char *spec, struct entry *ret)
{
	char *copy = strdup(spec);
	if (!copy)
		return &crash_enomem;
	char *field[5];
	char *p = copy;
	int n = 0;
	for (; n < 5 && p; n++) {
		field[n] = p;
		p = strchr(p, ':');
		if (p)
			*p++ = '\0';
	}
	uint64_t major, minor;
	char *end;
	unsigned long perm = 0;
	if (n == 5 && !p && *field[4])
		perm = strtoul(field[4], &end, 8);
	if (n != 5 || p || !*field[0] || field[0][0] == '/' ||
	    (strcmp(field[1], "c") && strcmp(field[1], "b")) ||
	    parse_uint(field[2], 0xfff, &major) || parse_uint(field[3], 0xfffff, &minor) ||
	    !*field[4] || *end || perm > 0777) {
		free(copy);
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "--node '%s': want PATH:c|b:MAJOR:MINOR:MODE, a relative PATH and an octal MODE <= 0777",
					  spec);
	}
	struct crash_error *err = name_check(field[0]);
	if (err) {
		free(copy);
		return err;
	}
	*ret = (struct entry){
		.path = strdup(field[0]),
		.mode = (mode_t)((field[1][0] == 'c' ? S_IFCHR : S_IFBLK) | perm),
		.rdev_major = (unsigned int)major,
		.rdev_minor = (unsigned int)minor,
	};
	free(copy);
	return ret->path ? NULL : &crash_enomem;
}

static int entry_compare(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

/*
 * Rule 1 again for --node: the kernel creates entries in archive order and
 * does not make missing directories, so a node's directory must be a
 * directory of the tree.  @list is sorted.
 */
static struct crash_error *nodes_check_parents(const struct entry_list *list,
					       const char *dir)
{
	for (size_t i = 0; i < list->count; i++) {
		const struct entry *e = &list->items[i];
		if (!S_ISCHR(e->mode) && !S_ISBLK(e->mode))
			continue;
		const char *slash = strrchr(e->path, '/');
		if (!slash)
			continue;
		char *parent = strndup(e->path, (size_t)(slash - e->path));
		if (!parent)
			return &crash_enomem;
		struct entry key = { .path = parent };
		const struct entry *p = bsearch(&key, list->items, list->count,
						sizeof(list->items[0]), entry_compare);
		free(parent);
		if (!p || !S_ISDIR(p->mode))
			return crash_error_create(CRASH_ERR_UNSUPPORTED,
						  "--node %s: its directory is not a directory of %s",
						  e->path, dir);
	}
	return NULL;
}

static const char zeros[4];

static struct crash_error *out_write(FILE *out, const char *out_path,
				     const void *buf, size_t n)
{
	if (n && fwrite(buf, 1, n, out) != n)
		return crash_error_os(errno, "%s: write", out_path);
	return NULL;
}

/* One newc header and name, padded to 4 bytes. */
static struct crash_error *header_write(FILE *out, const char *out_path,
					uint32_t ino, const struct entry *e,
					uint32_t mtime)
{
	char header[111];
	size_t name_size = strlen(e->path) + 1;
	int n = snprintf(header, sizeof(header),
			 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08zX%08X",
			 ino, (unsigned int)e->mode, 0u, 0u, 1u, mtime, (uint32_t)e->size,
			 0u, 0u, e->rdev_major, e->rdev_minor, name_size, 0u);
	if (n != (int)newc_header_size)
		return crash_error_create(CRASH_ERR_UNSUPPORTED,
					  "%s: header of %d bytes, want %zu", e->path, n, newc_header_size);
	struct crash_error *err = out_write(out, out_path, header, newc_header_size);
	if (!err)
		err = out_write(out, out_path, e->path, name_size);
	if (!err)
		err = out_write(out, out_path, zeros, (4 - (newc_header_size + name_size) % 4) % 4);
	return err;
}

/* Copy exactly e->size bytes of regular file @e (below @root_fd). */
static struct crash_error *body_copy(FILE *out, const char *out_path,
				     int root_fd, const struct entry *e)
{
	int fd = openat(root_fd, e->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return crash_error_os(errno, "%s: open", e->path);
	static char buf[1 << 16];
	uint64_t left = e->size;
	struct crash_error *err = NULL;
	while (!err) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = crash_error_os(errno, "%s: read", e->path);
		} else if (n == 0) {
			if (left)
				err = crash_error_create(CRASH_ERR_UNSUPPORTED,
							 "%s: file shrank while archived: %" PRIu64 " of %" PRIu64 " bytes missing",
							 e->path, left, e->size);
			break;
		} else if ((uint64_t)n > left) {
			err = crash_error_create(CRASH_ERR_UNSUPPORTED,
						 "%s: file grew while archived beyond its %" PRIu64 " bytes",
						 e->path, e->size);
		} else {
			err = out_write(out, out_path, buf, (size_t)n);
			left -= (uint64_t)n;
		}
	}
	close(fd);
	return err;
}

static struct crash_error *archive_write(FILE *out, const char *out_path,
					 int root_fd, const struct entry_list *list,
					 uint32_t mtime)
{
	struct crash_error *err = NULL;
	uint32_t ino = 1;
	for (size_t i = 0; i < list->count && !err; i++, ino++) {
		const struct entry *e = &list->items[i];
		err = header_write(out, out_path, ino, e, mtime);
		if (err)
			break;
		if (S_ISREG(e->mode))
			err = body_copy(out, out_path, root_fd, e);
		else if (S_ISLNK(e->mode))
			err = out_write(out, out_path, e->link_target, (size_t)e->size);
		if (!err)
			err = out_write(out, out_path, zeros, (4 - e->size % 4) % 4);
	}
	if (!err) {
		struct entry trailer = { .path = (char *)"TRAILER!!!" };
		err = header_write(out, out_path, 0, &trailer, 0);
	}
	return err;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--mtime SECONDS] [--node PATH:c|b:MAJOR:MINOR:MODE]... -o OUT DIR\n"
		"Write DIR's tree as a reproducible newc cpio archive (an initramfs) to OUT\n"
		"('-' for stdout): sorted paths, sequential inodes, owner 0, one mtime,\n"
		"normalised modes.  --node adds a device node, e.g. dev/console:c:5:1:600.\n",
		program);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mtime", required_argument, NULL, 'm' },
		{ "node", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct entry_list list = { 0 };
	const char *out_path = NULL;
	uint64_t mtime = 0;
	struct crash_error *err = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (parse_uint(optarg, newc_max_field, &mtime)) {
				fprintf(stderr, "%s: --mtime '%s': want seconds 0..%" PRIu64 "\n",
					program, optarg, newc_max_field);
				entry_list_deinit(&list);
				return 2;
			}
			break;
		case 'n': {
			struct entry e;
			err = node_parse(optarg, &e);
			if (!err)
				err = entry_list_add(&list, e);
			if (err) {
				fprintf(stderr, "%s: %s\n", program, err->message);
				crash_error_destroy(err);
				entry_list_deinit(&list);
				return 2;
			}
			break;
		}
		case 'o':
			out_path = optarg;
			break;
		case 'h':
			usage(stdout);
			entry_list_deinit(&list);
			return 0;
		default:
			usage(stderr);
			entry_list_deinit(&list);
			return 2;
		}
	}
	if (!out_path || optind != argc - 1) {
		usage(stderr);
		entry_list_deinit(&list);
		return 2;
	}
	const char *dir = argv[optind];
	int root_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		err = crash_error_os(errno, "%s: open directory", dir);
		goto out;
	}
	int walk_fd = dup(root_fd);
	if (walk_fd < 0) {
		err = crash_error_os(errno, "%s: dup", dir);
		goto out_root;
	}
	err = tree_walk(walk_fd, "", &list);
	if (err) {
		err = crash_error_prefix(err, "%s", dir);
		goto out_root;
	}
	qsort(list.items, list.count, sizeof(list.items[0]), entry_compare);
	for (size_t i = 1; i < list.count; i++) {
		if (!strcmp(list.items[i - 1].path, list.items[i].path)) {
			err = crash_error_create(CRASH_ERR_UNSUPPORTED,
						 "%s: --node names a path that is already in %s",
						 list.items[i].path, dir);
			goto out_root;
		}
	}
	err = nodes_check_parents(&list, dir);
	if (err)
		goto out_root;

	FILE *out;
	int out_fd = -1;
	if (!strcmp(out_path, "-")) {
		out = stdout;
	} else {
		out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (out_fd < 0) {
			err = crash_error_os(errno, "%s: create", out_path);
			goto out_root;
		}
		out = fdopen(out_fd, "w");
		if (!out) {
			err = crash_error_os(errno, "%s: fdopen", out_path);
			close(out_fd);
			goto out_root;
		}
	}
	err = archive_write(out, out_path, root_fd, &list, (uint32_t)mtime);
	if (!err && fflush(out) == EOF)
		err = crash_error_os(errno, "%s: write", out_path);
	if (!err && out_fd >= 0 && fsync(out_fd) < 0)
		err = crash_error_os(errno, "%s: fsync", out_path);
	if (out != stdout && fclose(out) == EOF && !err)
		err = crash_error_os(errno, "%s: close", out_path);
out_root:
	close(root_fd);
out:
	entry_list_deinit(&list);
	if (err) {
		fprintf(stderr, "%s: %s\n", program, err->message);
		crash_error_destroy(err);
		return 1;
	}
	return 0;
}
