-- w002: model prices (USD per million tokens), so the usage views can price transcript tokens.
-- The ledger has token counts (transcript_usage) but no cost yet; v_token_usage prices each
-- message from this table. Rows carry an effective date and a source, and are the team's to
-- change: add a row with a later effective_from (or a longer model_prefix) to override one.
-- The longest matching prefix wins, then the highest min_prompt_tokens not above the
-- message's prompt size (input + cache write + cache read), then the latest effective_from.
-- Seeded from Anthropic's public pricing page (platform docs, Pricing -> Model pricing) and
-- model pages as gathered in December 2026; `source` says where a row came from. Verify before
-- relying on a row.

CREATE TABLE hookledger.model_prices (
    model_prefix text NOT NULL,              -- matched against the API model id (starts_with)
    effective_from date NOT NULL DEFAULT '-infinity',
    min_prompt_tokens bigint NOT NULL DEFAULT 0,  -- a tier for requests whose prompt is larger
    input_usd_mtok numeric NOT NULL,
    cache_write_5m_usd_mtok numeric,         -- NULL: priced at 1.25 x input (the page's rule of thumb)
    cache_write_1h_usd_mtok numeric,
    cache_read_usd_mtok numeric,             -- NULL: priced at 0.1 x input
    output_usd_mtok numeric NOT NULL,
    source text,
    PRIMARY KEY (model_prefix, effective_from, min_prompt_tokens)
);

INSERT INTO hookledger.model_prices (model_prefix, effective_from, min_prompt_tokens, input_usd_mtok,
    cache_write_5m_usd_mtok, cache_write_1h_usd_mtok, cache_read_usd_mtok, output_usd_mtok, source) VALUES
    ('claude-fable-5-1',  '-infinity', 0, 10,   12.50, 20,   0.25, 50,   'pricing page'),
    ('claude-fable-5',    '-infinity', 0, 10,   12.50, 20,   1.00, 50,   'pricing page'),
    ('claude-opus-5-5',   '-infinity', 0, 4,    NULL,  NULL, NULL, 20,   'model overview (cache rates not seen)'),
    ('claude-opus-5',     '-infinity', 0, 5,    6.25,  10,   0.50, 25,   'pricing page, model page'),
    ('claude-opus-4-8',   '-infinity', 0, 5,    6.25,  10,   0.50, 25,   'pricing page'),
    ('claude-opus-4-7',   '-infinity', 0, 5,    6.25,  10,   0.50, 25,   'pricing page'),
    ('claude-opus-4-6',   '-infinity', 0, 5,    6.25,  10,   0.50, 25,   'pricing page'),
    ('claude-opus-4-5',   '-infinity', 0, 5,    6.25,  10,   0.50, 25,   'pricing page'),
    ('claude-opus-4-1',   '-infinity', 0, 15,   18.75, 30,   1.50, 75,   'pricing page'),
    ('claude-opus-4',     '-infinity', 0, 15,   18.75, 30,   1.50, 75,   'pricing page'),
    ('claude-sonnet-5-5', '-infinity', 0, 2,    2.50,  4,    0.20, 10,   'secondary (tool release notes quoting the pricing page)'),
    ('claude-sonnet-5-5', '2026-10-07', 0, 2,   2.50,  4,    0.10, 10,   'secondary (tool release notes quoting the pricing page)'),
    ('claude-sonnet-5',   '-infinity', 0, 2,    2.50,  4,    0.20, 10,   'model overview; secondary for cache rates'),
    ('claude-sonnet-4-6', '-infinity', 0, 3,    3.75,  6,    0.30, 15,   'pricing page'),
    ('claude-sonnet-4-5', '-infinity', 0, 3,    3.75,  6,    0.30, 15,   'pricing page'),
    ('claude-sonnet-4',   '-infinity', 0, 3,    3.75,  6,    0.30, 15,   'pricing page'),
    ('claude-3-7-sonnet', '-infinity', 0, 3,    3.75,  6,    0.30, 15,   'pricing page'),
    ('claude-haiku-5-5',  '-infinity', 0, 0.10, 0.125, 0.20, 0.01, 0.50, 'secondary'),
    ('claude-haiku-5-5',  '-infinity', 100001, 0.50, 0.625, 1.00, 0.05, 2.50, 'secondary (prompt > 100k tokens: every token of that request)'),
    ('claude-haiku-4-5',  '-infinity', 0, 1,    1.25,  2,    0.10, 5,    'pricing page'),
    ('claude-3-5-haiku',  '-infinity', 0, 0.80, 1,     1.60, 0.08, 4,    'pricing page'),
    ('claude-3-haiku',    '-infinity', 0, 0.25, 0.30,  0.50, 0.03, 1.25, 'pricing page');
