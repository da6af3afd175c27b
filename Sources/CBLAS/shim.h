#include <cblas.h>
// Declared by OpenBLAS but not in every cblas.h.
char *openblas_get_corename(void);
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

#include <stddef.h>
// LAPACK's symmetric eigensolver (divide and conquer), which Debian's libopenblas carries; OpenBLAS
// installs no lapack.h/lapacke.h here, so the Fortran symbol is declared with gfortran's calling
// convention: every argument by pointer, then one hidden length per CHARACTER argument.
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_length, size_t uplo_length);
