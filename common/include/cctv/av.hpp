// SPDX-License-Identifier: MIT
// The one place FFmpeg's C headers are included, with RAII owners for its types.
#pragma once

#include <memory>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

namespace cctv::av {

struct PacketFree { void operator()(AVPacket* p) const { av_packet_free(&p); } };
struct FrameFree { void operator()(AVFrame* f) const { av_frame_free(&f); } };
struct CodecContextFree { void operator()(AVCodecContext* c) const { avcodec_free_context(&c); } };
struct InputFree { void operator()(AVFormatContext* f) const { avformat_close_input(&f); } };
struct SwsFree { void operator()(SwsContext* s) const { sws_freeContext(s); } };
struct DictFree { void operator()(AVDictionary* d) const { av_dict_free(&d); } };
struct ParserFree { void operator()(AVCodecParserContext* p) const { av_parser_close(p); } };
struct ParametersFree { void operator()(AVCodecParameters* p) const { avcodec_parameters_free(&p); } };

using PacketPtr = std::unique_ptr<AVPacket, PacketFree>;
using FramePtr = std::unique_ptr<AVFrame, FrameFree>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextFree>;
using InputPtr = std::unique_ptr<AVFormatContext, InputFree>;
using SwsPtr = std::unique_ptr<SwsContext, SwsFree>;
using ParserPtr = std::unique_ptr<AVCodecParserContext, ParserFree>;
using ParametersPtr = std::unique_ptr<AVCodecParameters, ParametersFree>;

// Allocating constructors; they abort on out-of-memory like operator new.
PacketPtr make_packet();
FramePtr make_frame();

// A copy of `p`, or null for null.
ParametersPtr copy_parameters(const AVCodecParameters* p);

// Whether a muxer opened for `a` can go on with packets of `b`: same codec,
// picture size, audio rate and channels, and extradata (parameter sets).
// Two nulls are the same; one null is not.
bool same_parameters(const AVCodecParameters* a, const AVCodecParameters* b);

// av_strerror() as a std::string.
std::string error_string(int averror);

// Sets up networking and routes FFmpeg's own log into ours. Idempotent.
void init();

// Loads libavdevice (the lavfi device: built-in test sources) and registers
// its devices. The tools do not link libavdevice: with the X11, SDL, audio
// server and other libraries it pulls in, it would double every tool's
// start-up time and resident memory for a feature only `lavfi:` URLs use.
// Idempotent and thread-safe. Returns false, having logged why, when it
// cannot be loaded.
bool load_devices();

}  // namespace cctv::av
