-- 006_trainer.sql — the trainer's per-game walk-forward predictions of each registered model.
-- They let a challenger be compared with the production model on exactly the same games, the
-- backtest replay a model's walk-forward predictions (`aps backtest --model NAME`), and the
-- report score the model next to the market on the same games.
-- p0..p2: class probabilities (home/away, or home/draw/away; over/under and home/away cover at
-- the closing line for totals and spreads); mu/sigma: the expected margin or total and its error
-- scale (spreads and totals). scored: the game is in the model's scoring set (a final result,
-- in a tested fold after the first). No foreign key on game_id, as for odds: bulk-written with
-- ids read in the same run.
CREATE TABLE model_predictions (
    model_id BIGINT NOT NULL REFERENCES models(id),
    game_id BIGINT NOT NULL,
    p0 DOUBLE PRECISION,
    p1 DOUBLE PRECISION,
    p2 DOUBLE PRECISION,
    mu DOUBLE PRECISION,
    sigma DOUBLE PRECISION,
    outcome INTEGER,                      -- the class that happened, or NULL
    scored INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (model_id, game_id)
);
