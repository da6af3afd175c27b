#include <mpi.h>

// Open MPI spells its handles as macros over global objects, which Swift cannot import; these
// return them as values.
static inline MPI_Comm cdbn_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype cdbn_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype cdbn_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype cdbn_mpi_int16(void) { return MPI_INT16_T; }
static inline MPI_Op cdbn_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op cdbn_mpi_max(void) { return MPI_MAX; }
static inline void *cdbn_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Errhandler cdbn_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
