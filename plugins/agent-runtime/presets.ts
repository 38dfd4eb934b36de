/**
 * Where the well-known OpenAI-compatible services live, so `preset = "groq"` replaces looking up a
 * base URL. Each also names its model-list endpoint (`GET {base_url}/models` for all of these) and
 * whether it runs locally without a key. `gemini` is Google's OpenAI-compatible endpoint, chosen by
 * `type = "gemini"` rather than a preset because it is a provider of its own to the user.
 */
export interface Preset {
  baseUrl: string
  /** local servers answer without a key; the others answer 401 without one */
  keyless: boolean
}

export const PRESETS: Record<string, Preset> = {
  openai: { baseUrl: 'https://api.openai.com/v1', keyless: false },
  openrouter: { baseUrl: 'https://openrouter.ai/api/v1', keyless: false },
  groq: { baseUrl: 'https://api.groq.com/openai/v1', keyless: false },
  together: { baseUrl: 'https://api.together.xyz/v1', keyless: false },
  mistral: { baseUrl: 'https://api.mistral.ai/v1', keyless: false },
  deepseek: { baseUrl: 'https://api.deepseek.com/v1', keyless: false },
  lmstudio: { baseUrl: 'http://127.0.0.1:1234/v1', keyless: true },
  vllm: { baseUrl: 'http://127.0.0.1:8000/v1', keyless: true },
  ollama: { baseUrl: 'http://127.0.0.1:11434/v1', keyless: true },
}

/** Anthropic's Messages API (the `anthropic` type's default base_url) */
export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com'
export const GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta/openai'

export const PRESET_NAMES = Object.keys(PRESETS)
