// libsamplerate (Secret Rabbit Code) for Swift. Only CDBNAudio's internal SampleRateConversion.swift sees this.
#include <samplerate.h>
