#include <stdio.h>
#include <jpeglib.h>
#include <jerror.h>
#include <setjmp.h>
#include <string.h>

// libjpeg reports fatal errors through error_exit, which must not return; Swift cannot catch a
// longjmp, so the whole decode runs here under setjmp and comes back as a status code and message.

typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
  char *message;      /* caller's buffer, at least JMSG_LENGTH_MAX bytes */
} cdbn_jpeg_error_mgr;

static inline void cdbn_jpeg_error_exit(j_common_ptr cinfo) {
  cdbn_jpeg_error_mgr *err = (cdbn_jpeg_error_mgr *)cinfo->err;
  (*cinfo->err->format_message)(cinfo, err->message);
  longjmp(err->jump, 1);
}

/* Warnings are silent, except a premature end of data: libjpeg would pad the image with gray,
   which for training data is a corrupt example, so it becomes an error. */
static inline void cdbn_jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
  if (msg_level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
    cdbn_jpeg_error_exit(cinfo);
  }
  if (msg_level < 0) cinfo->err->num_warnings++;
}

static inline void cdbn_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

static inline void cdbn_jpeg_install_errors(struct jpeg_decompress_struct *cinfo,
                                            cdbn_jpeg_error_mgr *err, char *message) {
  cinfo->err = jpeg_std_error(&err->pub);
  err->pub.error_exit = cdbn_jpeg_error_exit;
  err->pub.emit_message = cdbn_jpeg_emit_message;
  err->pub.output_message = cdbn_jpeg_output_message;
  err->message = message;
  message[0] = 0;
}

/* Reads the header only. Returns 0 on success with width, height and the number of channels the
   decode will produce (1 for grayscale, 3 otherwise); nonzero with `message` filled on failure. */
static inline int cdbn_jpeg_read_info(const unsigned char *data, unsigned long size,
                                      unsigned int *width, unsigned int *height,
                                      int *channels, char *message) {
  struct jpeg_decompress_struct cinfo;
  cdbn_jpeg_error_mgr err;
  cdbn_jpeg_install_errors(&cinfo, &err, message);
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return 1;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, size);
  jpeg_read_header(&cinfo, TRUE);
  *width = cinfo.image_width;
  *height = cinfo.image_height;
  *channels = cinfo.jpeg_color_space == JCS_GRAYSCALE ? 1 : 3;
  jpeg_destroy_decompress(&cinfo);
  return 0;
}

/* Decodes into `out` (height * width * channels bytes, interleaved rows), where the expected
   size comes from cdbn_jpeg_read_info; any mismatch is an error, so `out` is never overrun. */
static inline int cdbn_jpeg_decode(const unsigned char *data, unsigned long size,
                                   unsigned char *out, unsigned int width, unsigned int height,
                                   int channels, char *message) {
  struct jpeg_decompress_struct cinfo;
  cdbn_jpeg_error_mgr err;
  cdbn_jpeg_install_errors(&cinfo, &err, message);
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return 1;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, size);
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  if (cinfo.output_width != width || cinfo.output_height != height ||
      cinfo.output_components != channels) {
    strcpy(message, "decoded size differs from header");
    jpeg_destroy_decompress(&cinfo);
    return 2;
  }
  size_t stride = (size_t)width * (size_t)channels;
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out + (size_t)cinfo.output_scanline * stride;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return 0;
}
