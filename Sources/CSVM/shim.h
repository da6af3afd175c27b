// LIBSVM for Swift. Debian ships no pkg-config file for it and puts the header in
// /usr/include/libsvm. Only CDBNClassifiers' internal LIBSVM.swift sees this.
#ifndef CDBN_CSVM_SHIM_H
#define CDBN_CSVM_SHIM_H

#include <libsvm/svm.h>

// LIBSVM prints solver progress to stdout unless given a print function; this one drops it.
static void cdbn_svm_print_nothing(const char *message) { (void)message; }

static inline void cdbn_svm_silence(void) {
  svm_set_print_string_function(cdbn_svm_print_nothing);
}

#endif
