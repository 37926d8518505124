"""The schema, as an ordered list of migrations keyed by ``PRAGMA user_version``.

Never edit a released migration: append a new one. Opening an older file applies the
missing ones in place, each in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "learners, flashcard state, review log, quiz answers, points",
        """
        CREATE TABLE learners (
            guild_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            display_name TEXT NOT NULL DEFAULT '',
            points INTEGER NOT NULL DEFAULT 0,
            points_at REAL NOT NULL DEFAULT 0,
            streak_current INTEGER NOT NULL DEFAULT 0,
            streak_best INTEGER NOT NULL DEFAULT 0,
            streak_freezes INTEGER NOT NULL DEFAULT 0,
            last_active_day TEXT,
            created_at REAL NOT NULL,
            PRIMARY KEY (guild_id, user_id)
        ) WITHOUT ROWID;
        CREATE INDEX learners_rank ON learners (guild_id, points DESC, points_at, user_id);

        CREATE TABLE card_states (
            guild_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            card_id TEXT NOT NULL,
            lesson_id TEXT NOT NULL,
            fsrs TEXT NOT NULL,
            due REAL NOT NULL,
            introduced_day TEXT NOT NULL,
            PRIMARY KEY (guild_id, user_id, card_id),
            FOREIGN KEY (guild_id, user_id) REFERENCES learners ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX card_states_due ON card_states (guild_id, user_id, due);

        CREATE TABLE review_log (
            id INTEGER PRIMARY KEY,
            guild_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            card_id TEXT NOT NULL,
            rating INTEGER NOT NULL,
            reviewed_at REAL NOT NULL,
            previous_fsrs TEXT,
            previous_due REAL,
            points INTEGER NOT NULL,
            FOREIGN KEY (guild_id, user_id) REFERENCES learners ON DELETE CASCADE
        );
        CREATE INDEX review_log_user ON review_log (guild_id, user_id, id);

        CREATE TABLE quiz_answers (
            id INTEGER PRIMARY KEY,
            guild_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            question_id TEXT NOT NULL,
            lesson_id TEXT NOT NULL,
            correct INTEGER NOT NULL,
            answered_at REAL NOT NULL,
            points INTEGER NOT NULL,
            source TEXT NOT NULL DEFAULT 'solo',
            FOREIGN KEY (guild_id, user_id) REFERENCES learners ON DELETE CASCADE
        );
        CREATE INDEX quiz_answers_user ON quiz_answers (guild_id, user_id, question_id);

        CREATE TABLE weekly_points (
            guild_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            week TEXT NOT NULL,
            points INTEGER NOT NULL DEFAULT 0,
            points_at REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (guild_id, week, user_id),
            FOREIGN KEY (guild_id, user_id) REFERENCES learners ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX weekly_points_rank
            ON weekly_points (guild_id, week, points DESC, points_at, user_id);
        """,
    ),
    Migration(
        2,
        "guild settings (timezone, teacher role, new-card limit)",
        """
        CREATE TABLE guild_settings (
            guild_id INTEGER PRIMARY KEY,
            timezone TEXT NOT NULL DEFAULT 'UTC',
            teacher_role_id INTEGER,
            new_cards_per_day INTEGER NOT NULL DEFAULT 10
        );
        """,
    ),
    Migration(
        3,
        "bot metadata (e.g. the hash of the last synced command tree)",
        """
        CREATE TABLE bot_meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    ),
    Migration(
        4,
        "daily prompts: channel and student schedules, one claim per delivery",
        """
        CREATE TABLE daily_channels (
            guild_id INTEGER PRIMARY KEY,
            channel_id INTEGER NOT NULL,
            local_time TEXT NOT NULL,
            timezone TEXT NOT NULL,
            leaderboard_weekday INTEGER,
            since REAL NOT NULL,
            failure TEXT,
            failure_told INTEGER NOT NULL DEFAULT 0
        );

        CREATE TABLE daily_students (
            guild_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            dm INTEGER NOT NULL,
            local_time TEXT,
            timezone TEXT,
            since REAL NOT NULL,
            snooze_day TEXT,
            snooze_until REAL,
            dm_closed INTEGER NOT NULL DEFAULT 0,
            dm_closed_told INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (guild_id, user_id),
            FOREIGN KEY (guild_id, user_id) REFERENCES learners ON DELETE CASCADE
        ) WITHOUT ROWID;

        CREATE TABLE daily_claims (
            key TEXT NOT NULL,
            day TEXT NOT NULL,
            guild_id INTEGER NOT NULL,
            user_id INTEGER,
            state TEXT NOT NULL,
            fire_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (key, day),
            FOREIGN KEY (guild_id, user_id) REFERENCES learners ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE INDEX daily_claims_day ON daily_claims (day);
        """,
    ),
    Migration(
        5,
        "quiz answers remember the option chosen and the order the options were shown in",
        """
        ALTER TABLE quiz_answers ADD COLUMN chosen INTEGER;
        ALTER TABLE quiz_answers ADD COLUMN shown_order TEXT
        """,
    ),
    Migration(
        6,
        "leases: which bot process serves which shards of this database",
        """
        CREATE TABLE leases (
            owner TEXT PRIMARY KEY,
            first_shard INTEGER NOT NULL,
            last_shard INTEGER NOT NULL,
            shard_count INTEGER NOT NULL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            renewed_at REAL NOT NULL
        )
        """,
    ),
    Migration(
        7,
        "class quizzes and their answers, saved as they are given (crash-safe)",
        """
        CREATE TABLE class_quizzes (
            id INTEGER PRIMARY KEY,
            guild_id INTEGER NOT NULL,
            channel_id INTEGER NOT NULL,
            started_by INTEGER NOT NULL,
            seconds INTEGER NOT NULL,
            questions TEXT NOT NULL,
            started_at REAL NOT NULL,
            question_index INTEGER NOT NULL DEFAULT -1,
            message_id INTEGER,
            state TEXT NOT NULL DEFAULT 'running'
        );
        CREATE INDEX class_quizzes_state ON class_quizzes (state);

        CREATE TABLE class_quiz_answers (
            quiz_id INTEGER NOT NULL REFERENCES class_quizzes ON DELETE CASCADE,
            question_index INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            chosen INTEGER NOT NULL,
            elapsed REAL NOT NULL,
            correct INTEGER NOT NULL,
            points INTEGER NOT NULL,
            answered_at REAL NOT NULL,
            recorded INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (quiz_id, question_index, user_id)
        ) WITHOUT ROWID;
        CREATE INDEX class_quiz_answers_unrecorded ON class_quiz_answers (recorded, quiz_id)
        """,
    ),
    Migration(
        8,
        "coding exercises: every graded attempt, solutions shown, class assignments",
        """
        CREATE TABLE exercise_attempts (
            id INTEGER PRIMARY KEY,
            guild_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            exercise_id TEXT NOT NULL,
            lesson_id TEXT NOT NULL,
            status TEXT NOT NULL,
            checks_passed INTEGER NOT NULL,
            checks_total INTEGER NOT NULL,
            code TEXT NOT NULL,
            submitted_at REAL NOT NULL,
            points INTEGER NOT NULL,
            FOREIGN KEY (guild_id, user_id) REFERENCES learners ON DELETE CASCADE
        );
        CREATE INDEX exercise_attempts_user ON exercise_attempts (guild_id, user_id, exercise_id);

        CREATE TABLE exercise_solutions_shown (
            guild_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            exercise_id TEXT NOT NULL,
            shown_at REAL NOT NULL,
            PRIMARY KEY (guild_id, user_id, exercise_id),
            FOREIGN KEY (guild_id, user_id) REFERENCES learners ON DELETE CASCADE
        ) WITHOUT ROWID;

        CREATE TABLE exercise_last_shown (
            guild_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            exercise_id TEXT NOT NULL,
            PRIMARY KEY (guild_id, user_id),
            FOREIGN KEY (guild_id, user_id) REFERENCES learners ON DELETE CASCADE
        ) WITHOUT ROWID;

        CREATE TABLE class_exercises (
            id INTEGER PRIMARY KEY,
            guild_id INTEGER NOT NULL,
            channel_id INTEGER NOT NULL,
            exercise_id TEXT NOT NULL,
            started_by INTEGER NOT NULL,
            started_at REAL NOT NULL,
            ends_at REAL NOT NULL,
            state TEXT NOT NULL DEFAULT 'running'
        );
        CREATE INDEX class_exercises_state ON class_exercises (state)
        """,
    ),
    Migration(
        9,
        "a server's own content: each upload (a version) and the items it holds now",
        """
        CREATE TABLE teacher_uploads (
            id INTEGER PRIMARY KEY,
            guild_id INTEGER NOT NULL,
            version INTEGER NOT NULL,
            filename TEXT NOT NULL,
            uploaded_by INTEGER NOT NULL,
            uploaded_at REAL NOT NULL,
            items INTEGER NOT NULL,
            UNIQUE (guild_id, version)
        );

        CREATE TABLE teacher_items (
            guild_id INTEGER NOT NULL,
            kind TEXT NOT NULL,
            item_id TEXT NOT NULL,
            upload_id INTEGER NOT NULL REFERENCES teacher_uploads ON DELETE CASCADE,
            data TEXT NOT NULL,
            PRIMARY KEY (guild_id, kind, item_id)
        ) WITHOUT ROWID;
        CREATE INDEX teacher_items_upload ON teacher_items (upload_id)
        """,
    ),
    Migration(
        10,
        "the class report's bookkeeping, kept as activity happens: each learner's activity"
        " per quarter hour, first attempts flagged, reviews indexed by card",
        """
        CREATE TABLE activity_quarters (
            guild_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            quarter INTEGER NOT NULL,
            reviews INTEGER NOT NULL DEFAULT 0,
            answers INTEGER NOT NULL DEFAULT 0,
            submissions INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (guild_id, user_id, quarter),
            FOREIGN KEY (guild_id, user_id) REFERENCES learners ON DELETE CASCADE
        ) WITHOUT ROWID;
        INSERT INTO activity_quarters (guild_id, user_id, quarter, reviews, answers, submissions)
        SELECT guild_id, user_id, CAST(x AS INTEGER) - CASE WHEN CAST(x AS INTEGER) > x
            THEN 1 ELSE 0 END AS quarter, sum(reviews), sum(answers), sum(submissions)
        FROM (
            SELECT guild_id, user_id, reviewed_at / 900.0 AS x, 1 AS reviews, 0 AS answers,
                0 AS submissions FROM review_log
            UNION ALL
            SELECT guild_id, user_id, answered_at / 900.0, 0, 1, 0 FROM quiz_answers
            UNION ALL
            SELECT guild_id, user_id, submitted_at / 900.0, 0, 0, 1 FROM exercise_attempts
        ) AS events
        GROUP BY guild_id, user_id, quarter;

        ALTER TABLE quiz_answers ADD COLUMN first_attempt INTEGER NOT NULL DEFAULT 0;
        UPDATE quiz_answers SET first_attempt = 1 WHERE id IN (
            SELECT min(id) FROM quiz_answers GROUP BY guild_id, user_id, question_id);
        CREATE INDEX quiz_answers_first ON quiz_answers (guild_id, first_attempt, answered_at);

        CREATE INDEX review_log_card ON review_log (guild_id, card_id, reviewed_at, user_id)
        """,
    ),
    Migration(
        11,
        "how many learners hold each points total, per guild and board (week '' = all-time)",
        """
        CREATE TABLE board_totals (
            guild_id INTEGER NOT NULL,
            week TEXT NOT NULL,
            points INTEGER NOT NULL,
            learners INTEGER NOT NULL,
            PRIMARY KEY (guild_id, week, points)
        ) WITHOUT ROWID;
        INSERT INTO board_totals (guild_id, week, points, learners)
            SELECT guild_id, '', points, count(*) FROM learners WHERE points > 0
            GROUP BY guild_id, points;
        INSERT INTO board_totals (guild_id, week, points, learners)
            SELECT guild_id, week, points, count(*) FROM weekly_points WHERE points > 0
            GROUP BY guild_id, week, points
        """,
    ),
)
