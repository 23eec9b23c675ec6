// The command table of the cubias tool.
#include "cli.h"

namespace cli {

int run_stats(const Args &a);

static const Command kCommands[] = {
    {"stats", "per-channel statistics of a .npy file of activations",
     "FILE.npy [--layout rows|nchw|nhwc|tnc] [--act relu] [--slope 0.01] [--json] [--rows 32]",
     "Streams FILE.npy (float32 or float16, C order, any rank) through cubias's fused statistics\n"
     "pass in chunks of about 64 MB and prints, per channel: count, non-finite entries, mean,\n"
     "std, min, max, active fraction (entries > 0) and E[phi], E[phi^2], E[phi'^2] for the\n"
     "activation --act (identity, relu, leaky_relu with --slope, tanh, sigmoid, gelu, silu).\n"
     "--layout says which axis holds the channels: rows [N, D] (the last axis), nchw [N, C, ...]\n"
     "(axis 1), nhwc [N, ..., C] and tnc [T, N, C] (the last axis). --json prints every channel\n"
     "as JSON (NaN as null); the table shows the first --rows channels.",
     run_stats},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

const Command *commands() { return kCommands; }

}  // namespace cli
