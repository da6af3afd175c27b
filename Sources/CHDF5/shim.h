// HDF5 for Swift. The library's constants (type ids, property-list classes, flags) are macros over
// globals that need H5open() first, which Swift cannot import; each one used is wrapped here in a
// static inline function. Only CDBNStorage's internal HDF5Library.swift sees this module.
#ifndef CDBN_CHDF5_SHIM_H
#define CDBN_CHDF5_SHIM_H

#include <hdf5.h>

// Defaults and selections.
static inline hid_t cdbn_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t cdbn_h5s_all(void) { return H5S_ALL; }
static inline hid_t cdbn_h5e_default(void) { return H5E_DEFAULT; }
static inline size_t cdbn_h5t_variable(void) { return H5T_VARIABLE; }

// File access flags.
static inline unsigned cdbn_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned cdbn_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned cdbn_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }

// Property-list classes.
static inline hid_t cdbn_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t cdbn_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t cdbn_h5p_link_create(void) { return H5P_LINK_CREATE; }

// Memory (native) types.
static inline hid_t cdbn_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t cdbn_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t cdbn_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t cdbn_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t cdbn_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t cdbn_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }

// File (storage) types: fixed little-endian so files are identical on every host.
static inline hid_t cdbn_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t cdbn_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t cdbn_h5t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t cdbn_h5t_std_u64le(void) { return H5T_STD_U64LE; }
static inline hid_t cdbn_h5t_std_u8le(void) { return H5T_STD_U8LE; }
static inline hid_t cdbn_h5t_c_s1(void) { return H5T_C_S1; }

// Frees the strings HDF5 allocated while reading variable-length data. H5Dvlen_reclaim was
// renamed H5Treclaim in 1.12; the version test keeps one Swift call site for both.
static inline herr_t cdbn_h5_reclaim(hid_t type_id, hid_t space_id, void *buf) {
#if H5_VERSION_GE(1, 12, 0)
  return H5Treclaim(type_id, space_id, H5P_DEFAULT, buf);
#else
  return H5Dvlen_reclaim(type_id, space_id, H5P_DEFAULT, buf);
#endif
}

// Whether a file carries the HDF5 signature: > 0 yes, 0 no, < 0 could not tell. H5Fis_hdf5 gave
// way to H5Fis_accessible in 1.12.
static inline htri_t cdbn_h5f_is_hdf5(const char *name) {
#if H5_VERSION_GE(1, 12, 0)
  return H5Fis_accessible(name, H5P_DEFAULT);
#else
  return H5Fis_hdf5(name);
#endif
}

#endif
