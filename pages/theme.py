"""Placeholder until the pages land."""

import streamlit as st

st.title("theme")
