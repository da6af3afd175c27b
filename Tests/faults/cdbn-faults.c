// I/O fault injection for cdbn's write-fault tests, loaded with LD_PRELOAD (as SQLite's test VFS
// and HDF5's fault tests do, but below every library: libhdf5, libpng and Foundation all write
// through these libc calls).
//
// Only files under CDBN_FAULT_DIR are affected; CDBN_FAULT picks the fault:
//   eio        writes fail with EIO once CDBN_FAULT_AFTER bytes (default 0) were written to them
//   eio-fsync  every write succeeds, fsync fails with EIO (a delayed write error, as on a dying disk)
//   erofs      the folder is read-only: creating, opening for writing, renaming or removing fails
//
// Build: cc -shared -fPIC -O1 -o cdbn-faults.so cdbn-faults.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum fault { NONE, EIO_WRITE, EIO_FSYNC, EROFS_DIR };

#define MAX_FD 65536
static unsigned char watched[MAX_FD];  // descriptors open for writing under the folder
static long long written;              // bytes written to watched descriptors so far

static enum fault the_fault(void) {
  const char *f = getenv("CDBN_FAULT");
  if (!f || !getenv("CDBN_FAULT_DIR")) return NONE;
  if (!strcmp(f, "eio")) return EIO_WRITE;
  if (!strcmp(f, "eio-fsync")) return EIO_FSYNC;
  if (!strcmp(f, "erofs")) return EROFS_DIR;
  return NONE;
}

// Whether `path` (relative to the working folder unless absolute) lies under CDBN_FAULT_DIR.
static int under_folder(const char *path) {
  const char *dir = getenv("CDBN_FAULT_DIR");
  if (!dir || !path) return 0;
  char full[8192];
  if (path[0] == '/') {
    snprintf(full, sizeof full, "%s", path);
  } else {
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) return 0;
    snprintf(full, sizeof full, "%s/%s", cwd, path);
  }
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') n--;
  return strncmp(full, dir, n) == 0 && (full[n] == '/' || full[n] == 0);
}

static int writes(int flags) { return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0; }

// The next definition of `name` (libc's), looked up once.
#define REAL(name)                          \
  static __typeof__(name) *real_##name;     \
  if (!real_##name) real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

// Opening: refused under a read-only folder, else remembered when it may write.
static int opened(int fd, const char *path, int flags) {
  if (fd >= 0 && fd < MAX_FD) watched[fd] = writes(flags) && under_folder(path);
  return fd;
}

static int refused_open(const char *path, int flags) {
  return the_fault() == EROFS_DIR && writes(flags) && under_folder(path);
}

static mode_t mode_of(int flags, va_list ap) {
  return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

#define OPEN_LIKE(name)                                       \
  int name(const char *path, int flags, ...) {                \
    REAL(name);              \
    va_list ap;                                               \
    va_start(ap, flags);                                      \
    mode_t mode = mode_of(flags, ap);                         \
    va_end(ap);                                               \
    if (refused_open(path, flags)) {                          \
      errno = EROFS;                                          \
      return -1;                                              \
    }                                                         \
    return opened(real_##name(path, flags, mode), path, flags); \
  }
OPEN_LIKE(open)
OPEN_LIKE(open64)

#define OPENAT_LIKE(name)                                                     \
  int name(int dirfd, const char *path, int flags, ...) {                     \
    REAL(name);                         \
    va_list ap;                                                               \
    va_start(ap, flags);                                                      \
    mode_t mode = mode_of(flags, ap);                                         \
    va_end(ap);                                                               \
    int absolute = dirfd == AT_FDCWD || path[0] == '/';                       \
    if (absolute && refused_open(path, flags)) {                              \
      errno = EROFS;                                                          \
      return -1;                                                              \
    }                                                                         \
    int fd = real_##name(dirfd, path, flags, mode);                           \
    return absolute ? opened(fd, path, flags) : fd;                           \
  }
OPENAT_LIKE(openat)
OPENAT_LIKE(openat64)

#define MKSTEMP_LIKE(name)                                                 \
  int name(char *template) {                                               \
    REAL(name);                                           \
    if (refused_open(template, O_CREAT)) {                                 \
      errno = EROFS;                                                       \
      return -1;                                                           \
    }                                                                      \
    return opened(real_##name(template), template, O_CREAT);               \
  }
MKSTEMP_LIKE(mkstemp)
MKSTEMP_LIKE(mkstemp64)

int mkostemp(char *template, int flags) {
  REAL(mkostemp);
  if (refused_open(template, O_CREAT)) {
    errno = EROFS;
    return -1;
  }
  return opened(real_mkostemp(template, flags), template, O_CREAT);
}

int creat(const char *path, mode_t mode) { return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode); }
int creat64(const char *path, mode_t mode) { return creat(path, mode); }

FILE *fopen(const char *path, const char *mode) {
  REAL(fopen);
  if (the_fault() == EROFS_DIR && strpbrk(mode, "wa+") && under_folder(path)) {
    errno = EROFS;
    return NULL;
  }
  FILE *file = real_fopen(path, mode);
  if (file && strpbrk(mode, "wa+")) opened(fileno(file), path, O_WRONLY);
  return file;
}
FILE *fopen64(const char *path, const char *mode) { return fopen(path, mode); }

int close(int fd) {
  REAL(close);
  if (fd >= 0 && fd < MAX_FD) watched[fd] = 0;
  return real_close(fd);
}

// Writing: fails with EIO past the allowance on a watched descriptor.
static int failing_write(int fd, size_t count) {
  if (the_fault() != EIO_WRITE || fd < 0 || fd >= MAX_FD || !watched[fd]) return 0;
  const char *after = getenv("CDBN_FAULT_AFTER");
  if (written + (long long)count <= (after ? atoll(after) : 0)) {
    written += (long long)count;
    return 0;
  }
  errno = EIO;
  return 1;
}

ssize_t write(int fd, const void *buffer, size_t count) {
  REAL(write);
  return failing_write(fd, count) ? -1 : real_write(fd, buffer, count);
}

#define PWRITE_LIKE(name, offset_type)                                          \
  ssize_t name(int fd, const void *buffer, size_t count, offset_type offset) {  \
    REAL(name);            \
    return failing_write(fd, count) ? -1 : real_##name(fd, buffer, count, offset); \
  }
PWRITE_LIKE(pwrite, off_t)
PWRITE_LIKE(pwrite64, off64_t)

ssize_t writev(int fd, const struct iovec *vectors, int n) {
  REAL(writev);
  size_t count = 0;
  for (int i = 0; i < n; i++) count += vectors[i].iov_len;
  return failing_write(fd, count) ? -1 : real_writev(fd, vectors, n);
}

// Syncing: fails with EIO for files under the folder (also when opened read-only to be synced).
static int failing_sync(int fd) {
  if (the_fault() != EIO_FSYNC || fd < 0) return 0;
  char link[64], path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = 0;
  struct stat s;
  if (fstat(fd, &s) != 0 || !S_ISREG(s.st_mode) || !under_folder(path)) return 0;
  errno = EIO;
  return 1;
}

int fsync(int fd) {
  REAL(fsync);
  return failing_sync(fd) ? -1 : real_fsync(fd);
}

int fdatasync(int fd) {
  REAL(fdatasync);
  return failing_sync(fd) ? -1 : real_fdatasync(fd);
}

// Names: a read-only folder cannot gain, lose or rename entries.
static int refused_name(const char *path) { return the_fault() == EROFS_DIR && under_folder(path); }

int rename(const char *from, const char *to) {
  REAL(rename);
  if (refused_name(from) || refused_name(to)) {
    errno = EROFS;
    return -1;
  }
  return real_rename(from, to);
}

int renameat(int fromdir, const char *from, int todir, const char *to) {
  REAL(renameat);
  if ((fromdir == AT_FDCWD && refused_name(from)) || (todir == AT_FDCWD && refused_name(to))) {
    errno = EROFS;
    return -1;
  }
  return real_renameat(fromdir, from, todir, to);
}

int unlink(const char *path) {
  REAL(unlink);
  if (refused_name(path)) {
    errno = EROFS;
    return -1;
  }
  return real_unlink(path);
}

int mkdir(const char *path, mode_t mode) {
  REAL(mkdir);
  if (refused_name(path)) {
    errno = EROFS;
    return -1;
  }
  return real_mkdir(path, mode);
}
