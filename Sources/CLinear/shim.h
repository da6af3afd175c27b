// LIBLINEAR for Swift. Debian ships no pkg-config file for it, so the header is found in
// /usr/include and the library by name. Only CDBNClassifiers' internal LIBLINEAR.swift sees this.
#ifndef CDBN_CLINEAR_SHIM_H
#define CDBN_CLINEAR_SHIM_H

#include <stdlib.h>
#include <linear.h>

// LIBLINEAR prints solver progress to stdout unless given a print function; this one drops it.
static void cdbn_linear_print_nothing(const char *message) { (void)message; }

static inline void cdbn_linear_silence(void) {
  set_print_string_function(cdbn_linear_print_nothing);
}

#endif
