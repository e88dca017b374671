"""The figures coordinators report upward (GB/T 30428.4's 结案率, 按期处置率, 返工率 …; 12345's
响应率, 满意率), computed from the reports' history: `indicators.figures` is the one source the
CLI, the chat and the report print. Each figure's definition is in README ("Statistics")."""
