from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """`?page=2&page_size=100`; a page past the end answers 404."""

    page_size_query_param = "page_size"
    max_page_size = 200
