// The command table of the cubias tool.
#include "cli.h"

namespace cli {

int run_stats(const Args &a);
int run_center(const Args &a);
int run_prior(const Args &a);
int run_gates(const Args &a);
int run_optimism(const Args &a);
int run_mask(const Args &a);

static const Command kCommands[] = {
    {"stats", "per-channel statistics of a .npy file of activations",
     "FILE.npy [--layout rows|nchw|nhwc|tnc] [--act relu] [--slope 0.01] [--json] [--rows 32]\n"
     "                    [--weights W.npy [--depth 20] [--threshold 10] [--target-chi 1]]",
     "Streams FILE.npy (float32 or float16, C order, any rank) through cubias's fused statistics\n"
     "pass in chunks of about 64 MB and prints, per channel: count, non-finite entries, mean,\n"
     "std, min, max, active fraction (entries > 0) and E[phi], E[phi^2], E[phi'^2] for the\n"
     "activation --act (identity, relu, leaky_relu with --slope, tanh, sigmoid, gelu, silu).\n"
     "--layout says which axis holds the channels: rows [N, D] (the last axis), nchw [N, C, ...]\n"
     "(axis 1), nhwc [N, ..., C] and tnc [T, N, C] (the last axis). --json prints every channel\n"
     "as JSON (NaN as null); the table shows the first --rows channels.\n"
     "\n"
     "Gain verdict: with --weights W.npy (float32/float16 [out, in], nn.Linear.weight, or a\n"
     "convolution kernel [out, in, kh, kw]; out must equal the channels of FILE, which then holds\n"
     "this layer's pre-activations z = W x + b) it also prints, and puts under \"gain\" in the JSON,\n"
     "the layer's predicted gradient gain chi = fan_in * E[W^2] * E[phi'(z)^2] (cubias_gain_report),\n"
     "its verdict (stable, exploding, vanishing) for a stack of --depth such layers whose cumulative\n"
     "gain must stay within [1/T, T] (T = --threshold), i.e. chi within [T^(-1/depth), T^(1/depth)],\n"
     "and for ReLU-like activations the largest shift to add to the current bias that keeps\n"
     "chi <= --target-chi. He-initialised ReLU layers with centred inputs give chi ~ 1.\n"
     "\n"
     "example: cubias stats z.npy --act relu --weights W.npy --json",
     run_stats},
    {"center", "bias b = t - W mu_x from the statistics of a layer's inputs",
     "INPUT.npy --weights W.npy --out b.npy [--layout rows|nchw|nhwc|tnc] [--target 0]\n"
     "                    [--dtype f32|f16]",
     "Streams INPUT.npy (float32/float16, the layer's inputs x; channels on the axis --layout\n"
     "names, as in `stats`) through the statistics pass and writes the bias that centres the\n"
     "layer's pre-activation at --target t over those inputs:\n"
     "    b_j = t - sum_i W(j, i) mu_x[i]            (cubias_center_from_input)\n"
     "W.npy is float32/float16 of shape [out, in] (PyTorch nn.Linear.weight); in must equal the\n"
     "input channels. Writes b.npy [out] (float32, or float16 with --dtype f16). Input channels\n"
     "with no finite value count as mean 0.\n"
     "\n"
     "example: cubias center x.npy --weights fc1_weight.npy --out fc1_bias.npy",
     run_center},
    {"prior", "output-layer class prior from labels, multi-hot targets or --pi",
     "LABELS.npy --out b.npy [--classes K] [--alpha 1] [--anchor mean_zero|pin:K|log_prob]\n"
     "       cubias prior --pi P [--classes K] --out b.npy          [--dtype f32|f16]",
     "Class-index labels (int32/int64, shape [N]) give a softmax prior\n"
     "    pi_k = (c_k + alpha) / (N + K alpha),  b_k = ln pi_k - anchor constant\n"
     "(cubias_prior_softmax_from_labels): --anchor mean_zero (sum b = 0, default), pin:K (b_K = 0)\n"
     "or log_prob (b_k = ln pi_k). K defaults to the largest label + 1; labels outside [0, K) are\n"
     "an error (exit 2, with their count). Multi-hot targets (uint8/bool, shape [N, K], entries 0/1)\n"
     "give a sigmoid prior per class, b_k = ln((c_k + alpha) / (N - c_k + alpha))\n"
     "(cubias_prior_sigmoid_from_targets). --alpha is the Laplace pseudo-count (> 0, default 1).\n"
     "--pi P writes one prior b = ln(P / (1 - P)) for K outputs (default 1; cubias_prior_single,\n"
     "RetinaNet's focal-loss head: P = 0.01 gives -4.595120). Writes b.npy [K].\n"
     "\n"
     "examples: cubias prior labels.npy --out head_bias.npy\n"
     "          cubias prior --pi 0.01 --classes 80 --out cls_bias.npy",
     run_prior},
    {"gates", "recurrent gate biases (LSTM forget gate, GRU update gate), Keras or PyTorch",
     "--cell lstm|gru --hidden H --out b.npy [--format keras|pytorch] [--vectors 1|2]\n"
     "                    [--input I --layers L --bidirectional] [--scheme constant|retention|chrono]\n"
     "                    [--value 1] [--retention r --steps L] [--tmax T] [--seed S] [--dtype f32|f16]",
     "Sets the effective gate bias b of the LSTM forget gate (LSTM) or the GRU update gate, every\n"
     "other bias 0:\n"
     "  --scheme constant   b = --value (default 1: sigma(1) = 0.731)\n"
     "  --scheme retention  b = logit(r^(1/L)): the gate keeps --retention r after --steps L steps\n"
     "  --scheme chrono     b_f = ln(u), u ~ U[1, T-1] per unit (T = --tmax), LSTM b_i = -b_f\n"
     "                      (Tallec & Ollivier; --seed S, the same biases on every backend)\n"
     "--format keras (default; cubias_rnn_gate_bias_keras): one layer's bias variable, [G*H]\n"
     "  (gate order i,f,c,o for LSTM, z,r,h for GRU; G = 4 or 3), or [2, G*H] with --vectors 2\n"
     "  (GRU reset_after=True, CuDNNLSTM/CuDNNGRU: input then recurrent bias).\n"
     "--format pytorch (cubias_rnn_gate_bias_pytorch): the biases of nn.LSTM/nn.GRU(input_size=I,\n"
     "  hidden_size=H, num_layers=L, bidirectional) as an array [L*D, 2, G*H] (D = 2 when\n"
     "  bidirectional): row l*D + d holds (b_ih, b_hh) of layer l, direction d (reverse = 1), i.e.\n"
     "  bias_ih_l{l}[_reverse] and bias_hh_l{l}[_reverse]; gate order i,f,g,o or r,z,n. The\n"
     "  effective value goes to b_ih, b_hh gets 0 (their sum is what the cell sees).\n"
     "Prints the effective bias, the gate sigma(b) and the retention sigma(b)^L over --steps L\n"
     "(default 10): min, mean and max over all units.\n"
     "\n"
     "example: cubias gates --cell lstm --hidden 256 --out lstm_bias.npy",
     run_gates},
    {"optimism", "optimistic initial values for a value head (exploration)",
     "--rmax R --gamma G --out b.npy [--horizon H|inf] [--actions A] [--dtype f32|f16]",
     "Writes b = r_max (1 - gamma^H) / (1 - gamma) (H = inf: r_max / (1 - gamma)) for each of A\n"
     "outputs (default 1; cubias_optimistic_value): the largest return possible, so every untried\n"
     "action looks best. gamma in [0, 1). r_max = 1, gamma = 0.99 gives 100. Writes b.npy [A].\n"
     "\n"
     "example: cubias optimism --rmax 1 --gamma 0.99 --actions 10 --out q_bias.npy",
     run_optimism},
    {"mask", "additive attention mask (padding, causal) with a dtype-aware mask value",
     "--batch B --tq TQ --tk TK --out mask.npy [--lengths L.npy] [--causal] [--offset k]\n"
     "                    [--empty-row equal|zero] [--dtype f32|f16]",
     "Writes mask.npy [B, TQ, TK] (float32, or float16 with --dtype f16; cubias_attention_mask):\n"
     "0 where query i of batch b may attend key j, the mask value -max/2 of the dtype elsewhere\n"
     "(f32 -1.7014117e38, f16 -32752: s + m stays finite, unlike -inf or -1e9 in f16).\n"
     "  --lengths L.npy  int32/int64 [B] key lengths: key j masked when j >= L[b] (B defaults to\n"
     "                   the number of lengths)\n"
     "  --causal         key j masked for query i when j > i + k (--offset k, default 0: PyTorch's\n"
     "                   tril; TK - TQ: queries are the last TQ keys)\n"
     "  --empty-row      a row with no valid key: equal (every entry the mask value: a finite\n"
     "                   softmax, uniform where the sum runs in the mask's dtype; an f16 mask\n"
     "                   added in f32 gives the raw scores' softmax; default) or zero (the raw\n"
     "                   scores' softmax)\n"
     "Prints the mask value used. Add the mask to the attention scores before the softmax.\n"
     "\n"
     "example: cubias mask --lengths lens.npy --tq 128 --tk 128 --causal --dtype f16 --out mask.npy",
     run_mask},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

const Command *commands() { return kCommands; }

}  // namespace cli
