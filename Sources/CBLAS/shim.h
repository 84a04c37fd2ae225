#ifndef SWIFTGAN_CBLAS_SHIM_H
#define SWIFTGAN_CBLAS_SHIM_H
#include <cblas.h>

/* OpenBLAS thread control (declared in cblas.h of OpenBLAS, repeated for other CBLAS headers). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);

/* LAPACK symmetric eigendecomposition (Fortran calling convention), used by FID's matrix square root. */
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
            double *w, double *work, const int *lwork, int *info);
#endif
