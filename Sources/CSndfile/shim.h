// libsndfile for Swift (NIST SPHERE, RIFF WAV, FLAC, ...). Only CDBNAudio's internal SoundFile.swift sees this.
#include <sndfile.h>
